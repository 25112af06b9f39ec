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
    /// it is never missing or stale; any other assembly is referenced as it is.
    /// </summary>
    public static string Resolve(string path, CancellationToken cancellation)
    {
        if (IsProject(path)) return Build(path, "Release", cancellation);
        if (ProjectOf(path) is not { } project) return path;
        var underBin = Path.GetRelativePath(Path.Combine(Path.GetDirectoryName(project)!, "bin"), path).Split(Path.DirectorySeparatorChar);
        var built = Build(project, underBin.Length > 1 ? underBin[0] : "Release", cancellation);
        return Path.GetFullPath(built) == Path.GetFullPath(path) ? path
            : throw new ProjectBuildException($"{Path.GetFileName(project)} builds {built}, not {path}; reference that path or the project");
    }

    /// <summary>Builds <paramref name="project"/> in <paramref name="configuration"/> and returns the path of the assembly it produced.</summary>
    public static string Build(string project, string configuration, CancellationToken cancellation)
    {
        if (!File.Exists(project)) throw new FileNotFoundException($"project not found: {project}", project);
        var (code, output) = DotnetHost.Run(
            ["build", project, "-c", configuration, "-nologo", "-v", "q", "-p:CopyLocalLockFileAssemblies=true", "-t:Build", "-getProperty:TargetPath"],
            Path.GetDirectoryName(project)!, cancellation);
        if (code != 0) throw new ProjectBuildException($"{Path.GetFileName(project)} did not build:\n{DotnetHost.Errors(output, code)}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
    }
}

/// <summary>A referenced project failed to build; the message holds the compiler's errors.</summary>
public sealed class ProjectBuildException(string message) : Exception(message);
