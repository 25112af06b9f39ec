namespace LibTorchLoader;

/// <summary>
/// glibc malloc settings for processes that run libtorch on the CPU. By default glibc gives blocks
/// above its mmap threshold (128 KiB, adjusting up to 32 MiB) back to the kernel when they are freed,
/// trims the top of the heap, and gives threads their own arenas of 64 MiB heaps that are unmapped
/// when empty; libtorch frees every activation of a batch and allocates it again for the next, so
/// each batch page-faults its memory back in. With these settings a LeNet++ training step took about
/// half the time and evaluation a third to a sixth (BENCHMARKS.md). Freed memory then stays with the
/// process: its resident size stays near its peak.
/// </summary>
public static class NativeAllocator
{
    /// <summary>
    /// The variables, for a process about to start: glibc reads them once, at start-up, so setting
    /// them in a running process changes nothing. <c>mallopt</c> from a running .NET process was
    /// tried and helps only the main thread, whose arena is the only one it reaches.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["MALLOC_ARENA_MAX"] = "1",                 // every thread allocates from the main heap, which has no size limit
        ["MALLOC_MMAP_THRESHOLD_"] = "1073741824",  // blocks up to 1 GiB come from that heap, not a mapping of their own
        ["MALLOC_TRIM_THRESHOLD_"] = "2147483647",  // and the heap's free top is kept for the next batch
    };

    /// <summary>Adds the variables to <paramref name="environment"/>, keeping any value already set there.</summary>
    public static void AddTo(IDictionary<string, string?> environment)
    {
        foreach (var (name, value) in Environment) environment.TryAdd(name, value);
    }
}
