using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;

namespace CenterLossKit.Data;

/// <summary>An IDX file of unsigned bytes: its dimensions and its data.</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Data);

/// <summary>Reads IDX files (the MNIST format), gzip-compressed or raw.</summary>
public static class Idx
{
    const byte UnsignedByte = 0x08;

    /// <summary>Reads the whole file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not an unsigned-byte IDX file: bad gzip, wrong magic number or element type, no
    /// dimensions, a dimension above 2³¹ − 1, or data shorter or longer than the dimensions promise.
    /// The message names the file.
    /// </exception>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        byte[] bytes;
        try { bytes = Decompressed(path); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: not a valid gzip file ({e.Message})", e); }

        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"{path}: wrong magic number (expected 0x0000080N for an unsigned-byte IDX file)");
        if (bytes[2] != UnsignedByte)
            throw new InvalidDataException($"{path}: element type 0x{bytes[2]:X2} is not unsigned byte (0x08)");
        int rank = bytes[3];
        if (rank == 0) throw new InvalidDataException($"{path}: the header declares no dimensions");
        if (bytes.Length < 4 + 4 * rank)
            throw new InvalidDataException($"{path}: truncated header: {rank} dimensions need {4 + 4 * rank} bytes, the file holds {bytes.Length}");
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            uint dim = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dim > int.MaxValue)
                throw new InvalidDataException($"{path}: dimension {i} is {dim}, more than an IDX array can hold (at most {int.MaxValue})");
            dims[i] = (int)dim;
        }
        long actual = bytes.Length - (4 + 4 * rank);
        // Exact, whatever the header says: 255 dimensions below 2³¹ can multiply past any fixed-size integer.
        var count = dims.Aggregate(BigInteger.One, (product, dim) => product * dim);
        if (count > actual)
            throw new InvalidDataException($"{path}: truncated: the dimensions {string.Join(" × ", dims)} need {count} bytes of data, the file holds {actual}");
        if (count < actual)
            throw new InvalidDataException($"{path}: {actual - count} bytes beyond the {count} the header promises");
        return new IdxArray(dims, bytes[(4 + 4 * rank)..]);
    }

    static byte[] Decompressed(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        bool gzip = file.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        using var output = new MemoryStream();
        if (gzip)
        {
            using var unzip = new GZipStream(file, CompressionMode.Decompress);
            unzip.CopyTo(output);
        }
        else file.CopyTo(output);
        return output.ToArray();
    }
}
