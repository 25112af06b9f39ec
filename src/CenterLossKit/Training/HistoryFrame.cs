using Microsoft.Data.Analysis;

namespace CenterLossKit.Training;

/// <summary>Turns the training history into a DataFrame, a column per field of <see cref="EpochRecord"/>.</summary>
public static class HistoryFrame
{
    /// <summary>The DataFrame of <paramref name="records"/>.</summary>
    public static DataFrame From(IReadOnlyList<EpochRecord> records) => new(
        new PrimitiveDataFrameColumn<int>(nameof(EpochRecord.Epoch), records.Select(r => r.Epoch)),
        Column(nameof(EpochRecord.Softmax), records, r => r.Softmax),
        Column(nameof(EpochRecord.Center), records, r => r.Center),
        Column(nameof(EpochRecord.Total), records, r => r.Total),
        Column(nameof(EpochRecord.TrainAccuracy), records, r => r.TrainAccuracy),
        Column(nameof(EpochRecord.TestAccuracy), records, r => r.TestAccuracy),
        Column(nameof(EpochRecord.CenterShift), records, r => r.CenterShift),
        Column(nameof(EpochRecord.LearningRate), records, r => r.LearningRate),
        Column(nameof(EpochRecord.Seconds), records, r => r.Seconds));

    static DoubleDataFrameColumn Column(string name, IReadOnlyList<EpochRecord> records, Func<EpochRecord, double> field) =>
        new(name, records.Select(field));
}
