namespace NotebookEngine.Scripting;

/// <summary>
/// <c>#r "path/to/Project.csproj"</c>: builds the project (Release, with its package dependencies
/// copied beside it) and gives the assembly to reference. A notebook can then use a library of the
/// same repository with no separate build step and no configuration-specific path.
/// </summary>
public static class ProjectBuild
{
    /// <summary>True for paths that name a project rather than an assembly.</summary>
    public static bool IsProject(string path) => path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase);

    /// <summary>Builds <paramref name="project"/> and returns the path of the assembly it produced.</summary>
    public static string Build(string project, CancellationToken cancellation)
    {
        if (!File.Exists(project)) throw new FileNotFoundException($"project not found: {project}", project);
        var (code, output) = DotnetHost.Run(
            ["build", project, "-c", "Release", "-nologo", "-v", "q", "-p:CopyLocalLockFileAssemblies=true", "-t:Build", "-getProperty:TargetPath"],
            Path.GetDirectoryName(project)!, cancellation);
        if (code != 0) throw new ProjectBuildException($"{Path.GetFileName(project)} did not build:\n{DotnetHost.Errors(output, code)}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
    }
}

/// <summary>A referenced project failed to build; the message holds the compiler's errors.</summary>
public sealed class ProjectBuildException(string message) : Exception(message);
