using LibTorchLoader;

namespace CenterLossKit.Tests;

public class TorchNativeTests
{
    static string OriginalBridge() =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void A_tensor_op_and_a_backward_pass_run()
    {
        using var x = tensor(new[] { 1.0, -2.0, 3.0 }, requires_grad: true);
        using var y = (x * x).sum();
        y.backward();
        Assert.Equal(14.0, y.item<double>());
        Expect.Close([2.0, -4.0, 6.0], x.grad!);
    }

    [Fact]
    public void The_patched_copy_lives_outside_the_app_and_package_folders()
    {
        TorchNative.EnsureLoaded();
        if (TorchNative.PatchedCopy is null) return; // this system's libstdc++ has every version: nothing was patched
        Assert.False(TorchNative.PatchedCopy.StartsWith(AppContext.BaseDirectory, StringComparison.Ordinal));
        Assert.DoesNotContain(Path.Combine(".nuget", "packages"), TorchNative.PatchedCopy);
        var diff = File.ReadAllBytes(OriginalBridge()).Zip(File.ReadAllBytes(TorchNative.PatchedCopy)).Count(p => p.First != p.Second);
        Assert.Equal(1, diff);
    }

    [Fact]
    public void The_test_host_starts_with_the_malloc_settings_of_the_kits_hosts()
    {
        // tests/tests.runsettings repeats NativeAllocator.Environment; this keeps the two in step.
        foreach (var (variable, value) in NativeAllocator.Environment)
            Assert.Equal(value, Environment.GetEnvironmentVariable(variable));
        var worker = new Dictionary<string, string?> { ["MALLOC_ARENA_MAX"] = "4" };
        NativeAllocator.AddTo(worker);
        Assert.Equal("4", worker["MALLOC_ARENA_MAX"]); // a caller's own choice stays
        Assert.Equal(NativeAllocator.Environment["MALLOC_TRIM_THRESHOLD_"], worker["MALLOC_TRIM_THRESHOLD_"]);
    }

    [Fact]
    public void The_bridge_asks_for_GLIBCXX_3_4_32_without_using_it()
    {
        var needs = ElfVersionNeeds.Read(File.ReadAllBytes(OriginalBridge()));
        var need = Assert.Single(needs, n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.False(need.Referenced);
        Assert.Equal(0, need.Flags & ElfVersionNeeds.WeakFlag);
        Assert.Contains(needs, n => n.Referenced && n.File == "libstdc++.so.6");
    }

    [Fact]
    public void Weakening_changes_only_the_flag_of_that_entry_and_is_idempotent()
    {
        var original = File.ReadAllBytes(OriginalBridge());
        var once = ElfVersionNeeds.WithWeakVersions(original, ["GLIBCXX_3.4.32"]);
        var twice = ElfVersionNeeds.WithWeakVersions(once, ["GLIBCXX_3.4.32"]);
        Assert.Equal(once, twice);
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != once[i]).ToList();
        Assert.Single(changed);
        var need = ElfVersionNeeds.Read(once).Single(n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal(ElfVersionNeeds.WeakFlag, need.Flags & ElfVersionNeeds.WeakFlag);
        Assert.Equal(changed[0], need.FlagsOffset);
    }

    [Fact]
    public void Weakening_refuses_a_version_a_relocation_uses_or_one_not_asked_for()
    {
        var original = File.ReadAllBytes(OriginalBridge());
        var used = ElfVersionNeeds.Read(original).First(n => n.Referenced && n.File == "libstdc++.so.6").Version;
        var e = Assert.Throws<InvalidOperationException>(() => ElfVersionNeeds.WithWeakVersions(original, [used]));
        Assert.Contains("relocation", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => ElfVersionNeeds.WithWeakVersions(original, ["GLIBCXX_9.9"]));
        Assert.Contains("GLIBCXX_9.9", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_ELF_or_is_truncated_is_rejected()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read("not an elf file at all, just some text to fill 64 bytes..........."u8.ToArray()));
        var truncated = File.ReadAllBytes(OriginalBridge())[..4096];
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read(truncated));
    }
}
