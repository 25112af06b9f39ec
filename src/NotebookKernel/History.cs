using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace NotebookKernel;

/// <summary>
/// The input history of every kernel of this user, as IPython keeps its own: one SQLite file under
/// the Jupyter data folder, a session per kernel start, a line per executed cell (its execution
/// count) with its input and the text of its result. SQLite's write-ahead log and a busy timeout
/// let several kernels write at once; with the log, synchronous = NORMAL keeps the file whole
/// through a crash without waiting for the disk on every cell (a power cut may lose the last lines).
/// </summary>
public sealed class History : IDisposable
{
    readonly SqliteConnection _db;

    /// <summary>Opens (creating it if needed) the history in <paramref name="dataDir"/> and starts a session.</summary>
    public History(string dataDir)
    {
        var folder = System.IO.Path.Combine(dataDir, "csnb");
        Directory.CreateDirectory(folder);
        Path = System.IO.Path.Combine(folder, "history.sqlite");
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, DefaultTimeout = 30 }.ToString());
        _db.Open();
        Run("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;");
        Run("""
            CREATE TABLE IF NOT EXISTS sessions (session INTEGER PRIMARY KEY AUTOINCREMENT, start TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS history (session INTEGER, line INTEGER, source TEXT, output TEXT, PRIMARY KEY (session, line));
            """);
        using var insert = Command("INSERT INTO sessions (start) VALUES ($start); SELECT last_insert_rowid();", ("$start", DateTime.UtcNow.ToString("O")));
        Session = Convert.ToInt32(insert.ExecuteScalar());
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>This kernel's session number.</summary>
    public int Session { get; }

    /// <summary>Records cell <paramref name="line"/> of this session (an earlier record of that line is replaced).</summary>
    public void Add(int line, string source) =>
        Execute("INSERT OR REPLACE INTO history (session, line, source) VALUES ($session, $line, $source)", ("$session", Session), ("$line", line), ("$source", source));

    /// <summary>Records the text of the result of cell <paramref name="line"/>.</summary>
    public void SetOutput(int line, string output) =>
        Execute("UPDATE history SET output = $output WHERE session = $session AND line = $line", ("$output", output), ("$session", Session), ("$line", line));

    /// <summary>The last <paramref name="n"/> entries of all sessions, oldest first.</summary>
    public JsonArray Tail(int n, bool output) =>
        Entries("SELECT * FROM (SELECT session, line, source, output FROM history ORDER BY session DESC, line DESC LIMIT $n) ORDER BY session, line",
            output, ("$n", n));

    /// <summary>
    /// Lines <paramref name="start"/> up to <paramref name="stop"/> (excluded; null: to the end) of a
    /// session: a positive number names one, 0 is this one, -1 the one before it, and so on.
    /// </summary>
    public JsonArray Range(int session, int start, int? stop, bool output) =>
        Entries("SELECT session, line, source, output FROM history WHERE session = $session AND line >= $start AND ($stop IS NULL OR line < $stop) ORDER BY line",
            output, ("$session", session > 0 ? session : Session + session), ("$start", start), ("$stop", stop));

    /// <summary>
    /// Entries whose input matches the glob <paramref name="pattern"/> (<c>*</c>, <c>?</c>, <c>[…]</c>),
    /// the last <paramref name="n"/> (all if null), each input once if <paramref name="unique"/>, oldest first.
    /// </summary>
    public JsonArray Search(string pattern, int? n, bool unique, bool output)
    {
        var matches = unique
            ? "SELECT h.session, h.line, h.source, h.output FROM history h JOIN (SELECT source, MAX(session * 4294967296 + line) AS last FROM history WHERE source GLOB $pattern GROUP BY source) u ON h.source = u.source AND h.session * 4294967296 + h.line = u.last"
            : "SELECT session, line, source, output FROM history WHERE source GLOB $pattern";
        return Entries($"SELECT * FROM ({matches} ORDER BY session DESC, line DESC LIMIT $n) ORDER BY session, line",
            output, ("$pattern", pattern), ("$n", n ?? -1));
    }

    JsonArray Entries(string sql, bool output, params (string Name, object? Value)[] parameters)
    {
        using var query = Command(sql, parameters);
        using var reader = query.ExecuteReader();
        var entries = new JsonArray();
        while (reader.Read())
        {
            JsonNode? input = reader.GetString(2);
            if (output) input = new JsonArray(input, reader.IsDBNull(3) ? null : reader.GetString(3));
            entries.Add(new JsonArray(reader.GetInt32(0), reader.GetInt32(1), input));
        }
        return entries;
    }

    void Run(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        command.ExecuteNonQuery();
    }

    SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = _db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <summary>Closes the database.</summary>
    public void Dispose() => _db.Dispose();
}
