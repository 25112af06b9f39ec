using NotebookEngine.Documents;

namespace NotebookEngine.Running;

/// <summary>
/// What a cell's tags and marker comments ask of a runner, under the names users of nbclient,
/// papermill and nbval already write: <c>skip-execution</c>, <c>raises-exception</c>, and nbval's
/// <c>NBVAL_SKIP</c>, <c>NBVAL_RAISES_EXCEPTION</c>, <c>NBVAL_IGNORE_OUTPUT</c>, <c>NBVAL_CHECK_OUTPUT</c>
/// as tags (<c>nbval-skip</c>, …) or as a comment line of their own (<c>// NBVAL_SKIP</c>).
/// </summary>
/// <param name="Skip">Not executed (nbclient's skip-execution, nbval's NBVAL_SKIP).</param>
/// <param name="RaisesException">An error is expected: it does not fail the run, and a run without one fails the cell.</param>
/// <param name="CheckOutput">True or false when a marker says whether to compare the cell's outputs; null to follow the run's default.</param>
public sealed record CellMarks(bool Skip, bool RaisesException, bool? CheckOutput)
{
    /// <summary>nbclient's tag for a cell not to execute.</summary>
    public const string SkipExecutionTag = "skip-execution";

    /// <summary>nbclient's (and nbval's) tag for a cell whose error is expected.</summary>
    public const string RaisesExceptionTag = "raises-exception";

    /// <summary>The marks of <paramref name="cell"/>. As in nbval, a comment overrides a tag, and of two conflicting markers the later wins.</summary>
    public static CellMarks Of(Cell cell)
    {
        bool skip = false, raises = false;
        bool? check = null;
        void Apply(string marker)
        {
            switch (marker)
            {
                case "NBVAL_SKIP": skip = true; break;
                case "NBVAL_RAISES_EXCEPTION": raises = true; break;
                case "NBVAL_IGNORE_OUTPUT": check = false; break;
                case "NBVAL_CHECK_OUTPUT": check = true; break;
            }
        }
        foreach (var tag in cell.Tags)
        {
            if (tag == SkipExecutionTag) skip = true;
            else if (tag == RaisesExceptionTag) raises = true;
            else if (tag.StartsWith("nbval-", StringComparison.Ordinal)) Apply(tag.ToUpperInvariant().Replace('-', '_'));
        }
        foreach (var line in cell.Source.Split('\n'))
        {
            var text = line.Trim();
            if (text.StartsWith("//", StringComparison.Ordinal)) Apply(text.TrimStart('/').Trim());
        }
        return new CellMarks(skip, raises, check);
    }
}
