using System.Buffers.Binary;
using System.Text;

namespace LibTorchLoader;

/// <summary>
/// Reads and edits the version needs (<c>.gnu.version_r</c>) of a 64-bit little-endian ELF shared
/// library: which symbol versions it asks of each library it depends on.
/// </summary>
public static class ElfVersionNeeds
{
    const uint ShtRela = 4, ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;

    /// <summary>The flag that lets the dynamic loader accept a missing version (VER_FLG_WEAK).</summary>
    public const ushort WeakFlag = 0x2;

    /// <summary>One needed version: the library that should provide it, its name, and where its flags sit.</summary>
    public sealed record Need(string File, string Version, ushort Flags, ushort Index, int FlagsOffset, bool Referenced);

    /// <summary>Lists every version need of the library in <paramref name="elf"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a 64-bit little-endian ELF file with version needs.</exception>
    public static IReadOnlyList<Need> Read(byte[] elf)
    {
        var sections = Sections(elf);
        var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed)
            ?? throw new InvalidDataException("the ELF file has no .gnu.version_r section");
        var strtab = sections[(int)verneed.Link];
        var referenced = ReferencedVersionIndexes(elf, sections);

        var needs = new List<Need>();
        long entry = verneed.Offset;
        while (true)
        {
            ushort count = U16(elf, entry + 2);
            string file = Str(elf, strtab.Offset + U32(elf, entry + 4));
            long aux = entry + U32(elf, entry + 8);
            for (int i = 0; i < count; i++)
            {
                ushort flags = U16(elf, aux + 4), index = U16(elf, aux + 6);
                string name = Str(elf, strtab.Offset + U32(elf, aux + 8));
                needs.Add(new Need(file, name, flags, index, checked((int)(aux + 4)), referenced.Contains(index)));
                aux += U32(elf, aux + 12);
            }
            uint next = U32(elf, entry + 12);
            if (next == 0) return needs;
            entry += next;
        }
    }

    /// <summary>
    /// Returns a copy of <paramref name="elf"/> in which the named versions are marked weak, so the
    /// library loads where they are missing. Refuses a version that a relocation actually uses: a
    /// weak mark would then hide a real missing symbol.
    /// </summary>
    public static byte[] WithWeakVersions(byte[] elf, IReadOnlyCollection<string> versions)
    {
        var needs = Read(elf);
        var copy = (byte[])elf.Clone();
        foreach (var version in versions)
        {
            var matching = needs.Where(n => n.Version == version).ToList();
            if (matching.Count == 0)
                throw new InvalidOperationException($"the library does not ask for version {version}");
            foreach (var need in matching)
            {
                if (need.Referenced)
                    throw new InvalidOperationException(
                        $"version {version} of {need.File} is used by a relocation; marking it weak would not be safe");
                BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(need.FlagsOffset), (ushort)(need.Flags | WeakFlag));
            }
        }
        return copy;
    }

    sealed record Section(uint Type, long Offset, long Size, uint Link, long EntrySize);

    static List<Section> Sections(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF files are supported");
        long shoff = (long)U64(elf, 0x28);
        ushort shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        if (shoff <= 0 || shoff + (long)shentsize * shnum > elf.Length)
            throw new InvalidDataException("the section header table lies outside the file");
        var sections = new List<Section>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            sections.Add(new Section(U32(elf, h + 4), (long)U64(elf, h + 0x18), (long)U64(elf, h + 0x20),
                U32(elf, h + 0x28), (long)U64(elf, h + 0x38)));
        }
        return sections;
    }

    // Version indexes of the dynamic symbols that some relocation refers to.
    static HashSet<ushort> ReferencedVersionIndexes(byte[] elf, List<Section> sections)
    {
        var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        var result = new HashSet<ushort>();
        if (versym is null) return result;
        int dynsymIndex = sections.FindIndex(s => s.Type == ShtDynsym);
        foreach (var rela in sections.Where(s => s.Type == ShtRela && s.Link == dynsymIndex && s.EntrySize > 0))
        {
            for (long r = rela.Offset; r < rela.Offset + rela.Size; r += rela.EntrySize)
            {
                ulong symbol = U64(elf, r + 8) >> 32;
                if (symbol != 0) result.Add((ushort)(U16(elf, versym.Offset + (long)symbol * 2) & 0x7fff));
            }
        }
        return result;
    }

    static ushort U16(byte[] b, long at) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(b, at, 2));
    static uint U32(byte[] b, long at) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(b, at, 4));
    static ulong U64(byte[] b, long at) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(b, at, 8));

    static ReadOnlySpan<byte> Slice(byte[] b, long at, int length) =>
        at >= 0 && at + length <= b.Length
            ? b.AsSpan((int)at, length)
            : throw new InvalidDataException($"the ELF file is truncated (offset {at})");

    static string Str(byte[] b, long at)
    {
        var rest = Slice(b, at, 1).Length == 1 ? b.AsSpan((int)at) : default;
        int end = rest.IndexOf((byte)0);
        if (end < 0) throw new InvalidDataException("unterminated string in the ELF file");
        return Encoding.ASCII.GetString(rest[..end]);
    }
}
