namespace NotebookEngine.Running;

/// <summary>
/// The <c>display</c> of an exported app: what a notebook would render, printed so that it reads
/// well on a terminal and in a log. Only the parts whose libraries the app references are written,
/// so the app compiles with or without them.
/// </summary>
static class AppDisplay
{
    /// <summary>The source, appended after the app's top-level statements.</summary>
    /// <param name="tables">The app references Microsoft.Data.Analysis: DataFrames print as aligned tables.</param>
    /// <param name="chartFolder">The app references Plotly.NET: charts are saved as pages in this folder (relative to the app's); null if not.</param>
    public static string Source(bool tables, string? chartFolder)
    {
        var arms = "";
        var helpers = "";
        if (chartFolder is not null)
        {
            arms += "        Plotly.NET.GenericChart chart => SaveChart(chart),\n";
            helpers += Charts.Replace("CHART_FOLDER", Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(chartFolder, quote: true));
        }
        if (tables)
        {
            arms += "        Microsoft.Data.Analysis.DataFrame frame => Frame(frame),\n";
            helpers += Frames;
        }
        return Core.Replace("        ARMS\n", arms).Replace("    HELPERS\n", helpers);
    }

    const string Core = """
        // ---- display() as in the notebook, printing what the notebook would show (written by csnb export) ----

        static DisplayedValue display(object? value) => DisplayedValue.Show(value);

        static class DisplayExtensions
        {
            public static DisplayedValue Display(this object? value) => DisplayedValue.Show(value);
        }

        /// <summary>
        /// A displayed value. Update() replaces it: on a terminal its lines are rewritten in place; in a
        /// log or a file only the last of a run of updates is printed, once something else is printed or
        /// the app ends, so a progress line costs one line.
        /// </summary>
        sealed class DisplayedValue
        {
            static readonly TextWriter Out = Console.Out;   // the console itself; Console.Out and Console.Error are watched
            static readonly bool Terminal = !Console.IsOutputRedirected;
            static readonly System.Globalization.CultureInfo Invariant = System.Globalization.CultureInfo.InvariantCulture;
            static DisplayedValue? _last;   // the value printed last, while nothing else has been printed since
            string? _pending;               // in a log: its latest update, not printed yet
            int _lines;

            static DisplayedValue()
            {
                Console.SetOut(new WatchedWriter(Out));
                Console.SetError(new WatchedWriter(Console.Error));
                AppDomain.CurrentDomain.ProcessExit += (_, _) => Settle();
                AppDomain.CurrentDomain.UnhandledException += (_, _) => Settle();
            }

            public static DisplayedValue Show(object? value)
            {
                var shown = new DisplayedValue();
                shown.Print(Text(value));
                return shown;
            }

            public void Update(object? value)
            {
                var text = Text(value);
                if (_last != this) Print(text);
                else if (Terminal)
                {
                    Out.Write($"\u001b[{_lines}F\u001b[J");   // back to its first line, and clear from there
                    Print(text);
                }
                else _pending = text;
            }

            void Print(string text)
            {
                Settle();
                Out.WriteLine(text);
                (_last, _lines) = (this, text.Split('\n').Length);
            }

            /// <summary>Something else is printed: a pending update goes first, and the last value can no longer be rewritten.</summary>
            internal static void Settle()
            {
                if (_last?._pending is { } text) Out.WriteLine(text);
                if (_last is not null) _last._pending = null;
                _last = null;
            }

            static string Text(object? value) => value switch
            {
                null => "<null>",
                string text => text,
                ARMS
                System.Collections.IDictionary map => Table(["key", "value"], map.Keys.Cast<object>().Select(k => new[] { Cell(k), Cell(map[k]) }).ToList(), map.Count),
                System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Cell)) + "]",
                _ => value.ToString() ?? "",
            };

            static string Cell(object? value) => value switch
            {
                null => "",
                double d => d.ToString("G6", Invariant),
                float f => f.ToString("G6", Invariant),
                _ => Convert.ToString(value, Invariant) ?? "",
            };

            /// <summary>Columns padded to their widest cell (numbers to the right), and the size when rows were left out.</summary>
            static string Table(IReadOnlyList<string> names, List<string[]> rows, long count)
            {
                var widths = names.Select((n, c) => rows.Select(r => r[c].Length).Append(n.Length).Max()).ToList();
                var numeric = Enumerable.Range(0, names.Count).Select(c => rows.Count > 0 && rows.All(r => r[c].Length == 0 || double.TryParse(r[c], Invariant, out _))).ToList();
                string Line(IEnumerable<string> cells) => string.Join("  ", cells.Select((v, c) => numeric[c] ? v.PadLeft(widths[c]) : v.PadRight(widths[c]))).TrimEnd();
                var lines = rows.Select(Line).Prepend(Line(names));
                return string.Join('\n', count > rows.Count ? lines.Append($"({rows.Count} of {count} rows shown)") : lines);
            }
            HELPERS
        }

        /// <summary>The console's writer, settling a pending update before anything else is written.</summary>
        sealed class WatchedWriter(TextWriter inner) : TextWriter
        {
            public override System.Text.Encoding Encoding => inner.Encoding;
            public override void Write(char value) { DisplayedValue.Settle(); inner.Write(value); }
            public override void Write(string? value) { DisplayedValue.Settle(); inner.Write(value); }
            public override void Write(char[] buffer, int index, int count) { DisplayedValue.Settle(); inner.Write(buffer, index, count); }
            public override void WriteLine(string? value) { DisplayedValue.Settle(); inner.WriteLine(value); }
            public override void Flush() => inner.Flush();
        }
        """;

    const string Frames = """

            const int FrameRows = 100;

            static string Frame(Microsoft.Data.Analysis.DataFrame frame)
            {
                var shown = (int)Math.Min(frame.Rows.Count, FrameRows);
                var rows = Enumerable.Range(0, shown).Select(r => frame.Columns.Select(c => Cell(c[r])).ToArray()).ToList();
                return Table(frame.Columns.Select(c => c.Name).ToList(), rows, frame.Rows.Count);
            }

        """;

    const string Charts = """

            static int _charts;

            /// <summary>Saves the chart as a page that works offline (plotly.js inside) beside the app, and names it.</summary>
            static string SaveChart(Plotly.NET.GenericChart chart)
            {
                var folder = Path.Combine(AppContext.GetData("EntryPointFileDirectoryPath") as string ?? AppContext.BaseDirectory, CHART_FOLDER);
                Directory.CreateDirectory(folder);
                var path = Path.Combine(folder, $"chart-{++_charts}.html");
                var offline = Plotly.NET.DisplayOptions.setPlotlyReference(Plotly.NET.PlotlyJSReference.Full).Invoke(Plotly.NET.DisplayOptions.initCDNOnly());
                var temp = $"{path}.{Environment.ProcessId}.tmp";   // written whole, then renamed
                File.WriteAllText(temp, Plotly.NET.GenericChart.toEmbeddedHTML(Plotly.NET.GenericChart.setDisplayOptions(offline, chart)));
                File.Move(temp, path, overwrite: true);
                return $"chart: {path}";
            }

        """;
}
