namespace NotebookEngine.Scripting;

/// <summary>
/// <c>#r "path/to/Project.csproj"</c>, or <c>#r</c> of the assembly a project builds
/// (<c>…/Name/bin/Config/tfm/Name.dll</c> beside <c>…/Name/Name.csproj</c>): builds the project (with
/// its package dependencies copied beside it) and gives the assembly to reference. A notebook can
/// then use a library of the same repository with no separate build step, and the form naming the
/// assembly is also what .NET Interactive reads once the project is built.
/// </summary>
public static class ProjectBuild
{
    /// <summary>True for paths that name a project rather than an assembly.</summary>
    public static bool IsProject(string path) => path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase);

    /// <summary>The project at <paramref name="path"/>, or the one that builds an assembly at <c>…/Name/bin/…/Name.dll</c>, if it exists.</summary>
    public static string? ProjectOf(string path)
    {
        if (IsProject(path)) return path;
        var name = Path.GetFileNameWithoutExtension(path);
        for (var folder = Path.GetDirectoryName(path); folder is not null; folder = Path.GetDirectoryName(folder))
            if (Path.GetFileName(folder) == "bin")
                return Path.Combine(Path.GetDirectoryName(folder)!, name + ".csproj") is var project && File.Exists(project) ? project : null;
        return null;
    }

    /// <summary>
    /// The assembly to reference for <paramref name="path"/>: a project is built in Release; an assembly
    /// its project builds is built again (in the configuration its path names, <c>bin/Config/…</c>) so
    /// it is never missing or stale; any other assembly is referenced as it is. Builds take turns
    /// through a lock file in <paramref name="cacheRoot"/>.
    /// </summary>
    public static string Resolve(string path, string cacheRoot, CancellationToken cancellation)
    {
        if (IsProject(path)) return Build(path, "Release", cacheRoot, cancellation);
        if (ProjectOf(path) is not { } project) return path;
        var underBin = Path.GetRelativePath(Path.Combine(Path.GetDirectoryName(project)!, "bin"), path).Split(Path.DirectorySeparatorChar);
        var built = Build(project, underBin.Length > 1 ? underBin[0] : "Release", cacheRoot, cancellation);
        return Path.GetFullPath(built) == Path.GetFullPath(path) ? path
            : throw new ProjectBuildException($"{Path.GetFileName(project)} builds {built}, not {path}; reference that path or the project");
    }

    /// <summary>
    /// Builds <paramref name="project"/> in <paramref name="configuration"/> and returns the path of the
    /// assembly it produced. Only one such build runs at a time among the processes sharing
    /// <paramref name="cacheRoot"/>: two builds of one project (two notebooks, a runner and a kernel)
    /// would write the same obj/ files and fail with "being used by another process".
    /// </summary>
    public static string Build(string project, string configuration, string cacheRoot, CancellationToken cancellation)
    {
        if (!File.Exists(project)) throw new FileNotFoundException($"project not found: {project}", project);
        using var held = Lock(LockPath(cacheRoot), cancellation);
        // The property goes to a file of its own: on the console it would come after any warnings.
        var targetPath = Path.ChangeExtension(held.Name, ".target");
        var (code, output) = DotnetHost.Run(
            ["build", project, "-c", configuration, "-nologo", "-v", "q", "-p:CopyLocalLockFileAssemblies=true", "-t:Build",
             "-getProperty:TargetPath", "-getResultOutputFile:" + targetPath],
            Path.GetDirectoryName(project)!, cancellation);
        if (code != 0) throw new ProjectBuildException($"{Path.GetFileName(project)} did not build:\n{DotnetHost.Errors(output, code)}");
        var built = File.ReadAllText(targetPath).Trim();
        File.Delete(targetPath);
        return built;
    }

    /// <summary>The lock file that builds sharing <paramref name="cacheRoot"/> take in turn.</summary>
    public static string LockPath(string cacheRoot) => Path.Combine(cacheRoot, "build.lock");

    /// <summary>Opens <paramref name="path"/> for this process alone (an flock on Linux, released if the process dies), waiting while another holds it.</summary>
    static FileStream Lock(string path, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            // Held by another: the file exists (any other failure to open it is not waited out).
            catch (IOException) when (File.Exists(path)) { cancellation.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200)); }
        }
    }
}

/// <summary>A referenced project failed to build; the message holds the compiler's errors.</summary>
public sealed class ProjectBuildException(string message) : Exception(message);
