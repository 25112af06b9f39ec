using CenterLossKit.Losses;
using CenterLossKit.Modules;
using TorchSharp.Modules;

namespace CenterLossKit.Tests;

/// <summary>The pitfalls of centres kept as a parameter: left out of the optimizer, and scaled by λ.</summary>
public class LearnableCenterTests
{
    // The batch of CenterTests: class 0 twice, class 1 once, class 2 absent.
    static readonly double[] C0 = [0, 0, 1, 1, 2, -1];
    static readonly long[] Y = [0, 0, 1];

    static LearnableCenter Make(int maxIdleSteps = 10)
    {
        var center = new LearnableCenter(3, 2, dtype: ScalarType.Float64, max_idle_steps: maxIdleSteps);
        using (no_grad()) center.centers.copy_(tensor(C0, [3, 2], ScalarType.Float64));
        return center;
    }

    static Parameter Features() => new(tensor(new double[] { 1, 0, 0, 2, 3, 3 }, [3, 2], ScalarType.Float64));

    // A user's loop: `optimizer` steps whatever it was given; `centerOptimizer`, if any, every `every` steps.
    static int Train(LearnableCenter center, Parameter features, optim.Optimizer optimizer, int steps,
        optim.Optimizer? centerOptimizer = null, int every = 1, double lambda = 1)
    {
        var loss = new CenterLoss();
        for (int step = 0; step < steps; step++)
        {
            var value = lambda * loss.forward(features, tensor(Y), center.forward(features, tensor(Y)));
            optimizer.zero_grad();
            value.backward();
            optimizer.step();
            if (centerOptimizer is not null && (step + 1) % every == 0)
            {
                centerOptimizer.step();
                centerOptimizer.zero_grad();
            }
        }
        return steps;
    }

    [Fact]
    public void Centres_left_out_of_every_optimizer_are_caught_after_max_idle_steps()
    {
        using var center = Make();
        var features = Features();
        var optimizer = optim.SGD([features], 0.1); // the centres were forgotten
        int done = 0;
        var e = Assert.Throws<InvalidOperationException>(() =>
        {
            for (; done < 100; done++) Train(center, features, optimizer, 1);
        });
        // Forward k + 1 sees step k's gradient on unchanged centres: the 11th forward is the 10th idle step.
        Assert.Equal(10, done);
        Assert.Contains("received a gradient in each of the last 10 training steps but never changed", e.Message);
        Assert.Contains("optim.SGD(center.parameters()", e.Message);
        Expect.Close(C0, center.centers, 0);
    }

    [Fact]
    public void Centres_that_an_optimizer_steps_pass_also_with_accumulated_gradients_and_outside_training()
    {
        using var stepped = Make();
        var features = Features();
        Train(stepped, features, optim.SGD([features, stepped.centers], 0.01), 30);

        // Gradients accumulated over 4 steps before each centre step: idle 3 at most, below 10.
        using var accumulating = Make();
        Train(accumulating, features, optim.SGD([features], 0.01), 40, optim.SGD([accumulating.centers], 0.01), every: 4);

        // λ = 0 hands the centres a zero gradient: nothing to step, nothing wrong.
        using var zero = Make();
        Train(zero, features, optim.SGD([features], 0.01), 30, lambda: 0);

        // Evaluation and no_grad forwards are not training steps; max_idle_steps 0 turns the check off.
        using var forgotten = Make();
        Train(forgotten, features, optim.SGD([features], 0.01), 5);
        forgotten.eval();
        for (int i = 0; i < 20; i++) forgotten.forward(features, tensor(Y));
        forgotten.train();
        using (no_grad()) for (int i = 0; i < 20; i++) forgotten.forward(features, tensor(Y));
        using var unchecked_ = Make(maxIdleSteps: 0);
        Train(unchecked_, features, optim.SGD([features], 0.01), 30);

        Assert.Throws<ArgumentOutOfRangeException>(() => new LearnableCenter(3, 2, max_idle_steps: -1));
    }

    [Fact]
    public void Unscale_divides_out_lambda_so_the_centres_step_by_the_center_loss_gradient()
    {
        const double lambda = 0.1, alpha = 0.5;
        using var center = Make();
        var features = Features();
        var logits = zeros(3, 3, dtype: ScalarType.Float64, requires_grad: true); // cross-entropy gives the centres nothing
        var parts = new SoftmaxCenterLoss(lambda).forward(logits, features, tensor(Y), center.forward(features, tensor(Y)));
        var centerOptimizer = optim.SGD([center.centers], alpha);
        centerOptimizer.zero_grad();
        parts.Total.backward();

        // ∂(λ·L_C)/∂c_j = λ·Σ_{i: y_i = j}(c_j − f_i)/B: c0 gets λ·((0,0)−(1,0) + (0,0)−(0,2))/3, c1 gets λ·((1,1)−(3,3))/3.
        Expect.Close([-lambda / 3, -2 * lambda / 3, -2 * lambda / 3, -2 * lambda / 3, 0, 0], center.centers.grad!, 1e-15);
        center.unscale_(lambda);
        Expect.Close([-1.0 / 3, -2.0 / 3, -2.0 / 3, -2.0 / 3, 0, 0], center.centers.grad!, 1e-15);
        centerOptimizer.step();
        // c − α·∂L_C/∂c: (0,0) + 0.5·(1/3, 2/3) = (1/6, 1/3); (1,1) + 0.5·(2/3, 2/3) = (4/3, 4/3); c2 unchanged.
        Expect.Close([1.0 / 6, 1.0 / 3, 4.0 / 3, 4.0 / 3, 2, -1], center.centers, 1e-15);
    }

    [Fact]
    public void Unscale_refuses_what_it_cannot_divide()
    {
        using var center = Make();
        var e = Assert.Throws<InvalidOperationException>(() => center.unscale_(0.1));
        Assert.Contains("no gradient", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => center.unscale_(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => center.unscale_(double.NaN));
    }
}
