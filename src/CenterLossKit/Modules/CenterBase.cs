using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CenterLossKit.Modules;

/// <summary>
/// What <see cref="Center"/> and <see cref="LearnableCenter"/> share: centres (C, D) saved under the
/// key <c>centers</c>, and a <c>load</c> that changes them only when the whole state loads.
/// </summary>
public abstract class CenterBase : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates the module under <paramref name="name"/>.</summary>
    protected CenterBase(string name) : base(name) { }

    /// <summary>The centres (C, D) for inference: the registered tensor itself, never updated.</summary>
    public abstract Tensor predict();

    /// <summary>
    /// Loads centres saved by <c>save</c>. TorchSharp's load writes into the live tensors as it
    /// reads, so the state is read into a copy first, checked, and only then copied in: a file that
    /// breaks off half way, does not match, or holds NaN or infinite centres leaves the centres
    /// bit-identical.
    /// </summary>
    /// <exception cref="InvalidDataException">The state does not load or its centres are not finite.</exception>
    public override nn.Module load(BinaryReader reader, bool strict = true, IList<string>? skip = null, Dictionary<string, bool>? loadedParameters = null) =>
        Load(reader, strict, skip, loadedParameters, wholeStream: false);

    /// <summary>Loads centres saved by <c>save</c> to <paramref name="location"/>; as above, all or nothing, and nothing after them.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file does not load; the message names it.</exception>
    public override nn.Module load(string location, bool strict = true, IList<string>? skip = null, Dictionary<string, bool>? loadedParameters = null)
    {
        if (!File.Exists(location)) throw new FileNotFoundException($"centres file not found: {location}", location);
        using var reader = new BinaryReader(File.OpenRead(location));
        try { return Load(reader, strict, skip, loadedParameters, wholeStream: true); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{location}: {e.Message}", e); }
    }

    nn.Module Load(BinaryReader reader, bool strict, IList<string>? skip, Dictionary<string, bool>? loadedParameters, bool wholeStream)
    {
        var centers = predict();
        using var copy = new CentersCopy(centers);
        try { copy.load(reader, strict, skip, loadedParameters); }
        // What TorchSharp's load throws for state that does not fit; a damaged length can ask for a huge array.
        catch (Exception e) when (e is ArgumentException or IOException or FormatException or OverflowException or OutOfMemoryException)
        {
            throw new InvalidDataException($"the saved centres do not load into {GetType().Name} of shape {Check.Shape(centers)}, {centers.dtype}: {e.Message}", e);
        }
        if (wholeStream && reader.BaseStream.Position != reader.BaseStream.Length)
            throw new InvalidDataException($"{reader.BaseStream.Length - reader.BaseStream.Position} bytes after the saved centres");
        if (!Check.Finite(copy.centers)) throw new InvalidDataException("the saved centres contain NaN or infinity");
        using (no_grad()) centers.copy_(copy.centers);
        return this;
    }

    // A module with only a copy of the centres under their key: what the file is read into.
    sealed class CentersCopy : nn.Module
    {
        [ComponentName(Name = "centers")]
        readonly Tensor _centers;

        public CentersCopy(Tensor centers) : base(nameof(CentersCopy))
        {
            _centers = centers.detach().clone().DetachFromDisposeScope();
            RegisterComponents();
        }

        public Tensor centers => _centers;
    }
}
