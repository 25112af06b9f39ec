using System.Buffers.Binary;
using System.IO.Compression;

namespace CenterLossKit.Data;

/// <summary>An IDX file of unsigned bytes: its dimensions and its data.</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Data);

/// <summary>Reads IDX files (the MNIST format), gzip-compressed or raw.</summary>
public static class Idx
{
    const byte UnsignedByte = 0x08;

    /// <summary>Reads the whole file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an unsigned-byte IDX file, or is truncated or too long; the message names the file.</exception>
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
        if (rank == 0 || bytes.Length < 4 + 4 * rank)
            throw new InvalidDataException($"{path}: truncated header");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = checked((int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * i)));
            count *= dims[i];
        }
        long actual = bytes.Length - (4 + 4 * rank);
        if (actual < count)
            throw new InvalidDataException($"{path}: truncated: the header promises {count} bytes of data, the file holds {actual}");
        if (actual > count)
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
