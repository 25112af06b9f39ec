namespace TestSupport;

// Shared by the fuzz tests of the kit's readers (linked into each test project that has one).

/// <summary>Seeded random damage to a file's bytes, as a bad disk, a cut transfer or a careless edit leaves it.</summary>
public static class Corruptions
{
    /// <summary>
    /// A damaged copy of <paramref name="original"/>: flipped bits, overwritten bytes or runs, a cut, an
    /// insertion or a deletion. Half of the positions fall in the first <paramref name="header"/> bytes,
    /// where a format keeps its structure.
    /// </summary>
    public static byte[] Damage(byte[] original, Random random, int header)
    {
        var bytes = new List<byte>(original);
        int Position() => bytes.Count == 0 ? 0
            : random.Next(2) == 0 ? random.Next(Math.Min(header, bytes.Count)) : random.Next(bytes.Count);
        byte Value() => random.Next(4) switch { 0 => 0x00, 1 => 0xFF, 2 => 0x80, _ => (byte)random.Next(256) };
        switch (random.Next(6))
        {
            case 0: // a few flipped bits
                for (int k = random.Next(1, 9); k > 0 && bytes.Count > 0; k--) { var at = Position(); bytes[at] ^= (byte)(1 << random.Next(8)); }
                break;
            case 1: // a few bytes replaced
                for (int k = random.Next(1, 5); k > 0 && bytes.Count > 0; k--) bytes[Position()] = Value();
                break;
            case 2: // cut short
                {
                    var keep = random.Next(bytes.Count + 1);
                    bytes.RemoveRange(keep, bytes.Count - keep);
                }
                break;
            case 3: // bytes added at the end
                bytes.AddRange(Enumerable.Range(0, random.Next(1, 65)).Select(_ => Value()));
                break;
            case 4: // a run overwritten
                {
                    var at = Position();
                    var fill = Value();
                    for (int k = at; k < Math.Min(bytes.Count, at + random.Next(1, 33)); k++) bytes[k] = fill;
                }
                break;
            default: // a run removed, or inserted
                {
                    var at = Position();
                    var length = random.Next(1, 17);
                    if (random.Next(2) == 0) bytes.RemoveRange(at, Math.Min(length, bytes.Count - at));
                    else bytes.InsertRange(at, Enumerable.Range(0, length).Select(_ => Value()));
                }
                break;
        }
        return [.. bytes];
    }
}
