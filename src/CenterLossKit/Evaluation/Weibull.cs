namespace CenterLossKit.Evaluation;

/// <summary>A two-parameter Weibull distribution, CDF(x) = 1 − exp(−(x / Scale)^Shape) for x ≥ 0.</summary>
/// <param name="Shape">κ &gt; 0.</param>
/// <param name="Scale">λ &gt; 0.</param>
public sealed record Weibull(double Shape, double Scale)
{
    /// <summary>P(X ≤ x); 0 for x ≤ 0.</summary>
    public double Cdf(double x) => x <= 0 ? 0 : -double.ExpM1(-Math.Pow(x / Scale, Shape));

    /// <summary>
    /// The maximum-likelihood fit to positive <paramref name="samples"/>: the shape solves
    /// Σx^κ·ln x / Σx^κ − 1/κ = mean(ln x), whose left side rises with κ, so Newton steps kept inside a
    /// shrinking bracket find it; then λ = (mean x^κ)^(1/κ).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two samples, a sample that is not positive and finite, or all equal.</exception>
    public static Weibull Fit(IReadOnlyList<double> samples)
    {
        if (samples.Count < 2) throw new ArgumentException($"need at least two samples to fit a Weibull, got {samples.Count}", nameof(samples));
        if (samples.Any(x => !(x > 0 && double.IsFinite(x))))
            throw new ArgumentException($"Weibull samples must be positive and finite, got {samples.First(x => !(x > 0 && double.IsFinite(x)))}", nameof(samples));
        double largest = samples.Max();
        // The shape does not depend on the unit: fit on x / max, whose logs are ≤ 0, so x^κ cannot overflow.
        var logs = samples.Select(x => Math.Log(x / largest)).ToArray();
        if (logs.Min() == 0) throw new ArgumentException($"all {samples.Count} samples equal {largest}: no Weibull fits them", nameof(samples));
        double meanLog = logs.Average();

        double Residual(double k, out double slope)
        {
            double sum = 0, sumLog = 0, sumLog2 = 0;
            foreach (var l in logs)
            {
                double w = Math.Exp(k * l);
                sum += w; sumLog += w * l; sumLog2 += w * l * l;
            }
            slope = (sumLog2 * sum - sumLog * sumLog) / (sum * sum) + 1 / (k * k);
            return sumLog / sum - 1 / k - meanLog;
        }

        double low = 0, high = 1;
        while (Residual(high, out _) < 0) (low, high) = (high, high * 2);
        double shape = high;
        for (int i = 0; i < 200 && high - low > 1e-14 * high; i++)
        {
            double r = Residual(shape, out double slope);
            if (r == 0) break;
            if (r < 0) low = shape; else high = shape;
            double next = shape - r / slope;
            if (Math.Abs(next - shape) <= 1e-15 * shape) break;
            shape = next > low && next < high ? next : (low + high) / 2;
        }
        double scale = Math.Pow(logs.Select(l => Math.Exp(shape * l)).Average(), 1 / shape) * largest;
        return new Weibull(shape, scale);
    }
}
