import Dispatch
import Foundation
import NeuralNet
import SteerLensSupport

/// Forward + backward-to-input throughput of NVIDIA PilotNet on the NeuralNet engine, beside the pure
/// `sgemm` peer: the very same GEMM calls (shapes, transposes, beta, lanes), replayed alone.
///
/// PilotNet (Bojarski et al. 2016, https://arxiv.org/abs/1604.07316): input 66×200×3, Conv 24/36/48
/// 5×5 stride 2, Conv 64/64 3×3, Flatten 1152, Dense 100, 50, 10, 1, random He-uniform weights. Every
/// figure is the best of several repetitions (other processes may share the machine); nothing is
/// asserted. The ratio `sgemm-only / engine` says how much of the engine's time is the GEMMs themselves.
/// Each line is one way to use the cores (``Configuration``): NeuralNet's default, lanes with
/// single-threaded OpenBLAS, is chosen from these figures (see `Parallelism` in NeuralNet).
enum EngineBenchmark {
    /// A way to use the cores: NeuralNet lanes (batch split) × OpenBLAS threads per call.
    struct Configuration: Hashable {
        var lanes: Int
        var blasThreads: Int
        var label: String { "lanes \(lanes) x blas \(blasThreads)" }

        /// The default (one lane per core, single-threaded BLAS) first, then the two single-lane peers.
        static var all: [Configuration] {
            let cores = max(ProcessInfo.processInfo.activeProcessorCount, 1)
            let candidates = [Configuration(lanes: cores, blasThreads: 1), Configuration(lanes: 1, blasThreads: 1),
                              Configuration(lanes: 1, blasThreads: cores)]
            return candidates.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        }

        func apply() {
            BLAS.setThreadCount(blasThreads)
            Parallelism.setLaneCount(lanes)
        }
    }

    /// - Parameters:
    ///   - batches: batch sizes to measure (default 1 and 32).
    ///   - configurations: lane / BLAS thread combinations (default ``Configuration/all``).
    static func run(repetitions: Int, batches: [Int] = [1, 32], configurations: [Configuration] = Configuration.all) throws {
        let defaults = Configuration(lanes: Parallelism.laneCount, blasThreads: BLAS.threadCount)
        print("engine: PilotNet forward + backward(output: 0, unit: 0), best of \(repetitions)")
        print("  cores \(ProcessInfo.processInfo.activeProcessorCount); NeuralNet default: \(defaults.label); OpenBLAS core \(BLAS.coreName) (\(BLAS.coreChoice))")
        defer { defaults.apply() }
        for activation in [ActivationKind.elu(alpha: 1), .relu] {
            let model = try pilotNet(activation: activation)
            print("  activation \(activation == .relu ? "relu" : "elu")")
            for configuration in configurations {
                configuration.apply()
                for batch in batches {
                    try measure(model: model, batch: batch, repetitions: repetitions,
                                label: "lanes \(Parallelism.laneCount) x blas \(BLAS.threadCount)")
                }
            }
            if let batch = batches.max(), let configuration = configurations.first {
                configuration.apply()
                try measureLayers(model: model, batch: batch, repetitions: repetitions)
            }
        }
    }

    /// One line of figures: engine forward, backward, both; then the replayed GEMMs and the ratio.
    static func measure(model: Model, batch: Int, repetitions: Int, label: String) throws {
        var generator = SeededRandom(seed: 42)
        let input = Tensor(shape: [batch, 66, 200, 3], scalars: (0..<(batch * 66 * 200 * 3)).map { _ in Float.random(in: -1...1, using: &generator) })
        // Warm up (allocates every scratch buffer), then record the GEMMs of one pass.
        _ = try model.forward(input)
        _ = model.backward(output: 0, unit: 0)
        let calls = try BLAS.recordingCalls {
            _ = try model.forward(input)
            _ = model.backward(output: 0, unit: 0)
        }
        // Engine passes and GEMM replays alternate, so a neighbour's load hits both alike.
        let replay = Replay(calls)
        replay.run()
        var forward = Double.infinity, backward = Double.infinity, total = Double.infinity, gemm = Double.infinity
        for _ in 0..<repetitions {
            let start = ContinuousClock.now
            _ = try model.forward(input)
            let middle = ContinuousClock.now
            _ = model.backward(output: 0, unit: 0)
            let end = ContinuousClock.now
            forward = min(forward, seconds(middle - start))
            backward = min(backward, seconds(end - middle))
            total = min(total, seconds(end - start))
            gemm = min(gemm, replay.time())
        }
        let gigaflops = Double(calls.reduce(0) { $0 + $1.flops }) / 1e9
        print(String(format: "    %@ batch %2d: pass %6.2f ms (forward %6.2f + backward %6.2f) %7.1f frames/s | sgemm-only %6.2f ms (%d calls, %.2f GFLOP, %3.0f GFLOP/s) | ratio %.2f",
                     label, batch, total * 1e3, forward * 1e3, backward * 1e3, Double(batch) / total,
                     gemm * 1e3, calls.count, gigaflops, gigaflops / gemm, gemm / total))
    }

    /// Per-layer breakdown (first configuration, largest batch): each layer's forward and backward
    /// alone on the activations of a real pass, beside the replay of that layer's own GEMMs.
    static func measureLayers(model: Model, batch: Int, repetitions: Int) throws {
        var generator = SeededRandom(seed: 7)
        let input = Tensor(shape: [batch, 66, 200, 3], scalars: (0..<(batch * 66 * 200 * 3)).map { _ in Float.random(in: -1...1, using: &generator) })
        _ = try model.forward(input)
        print("    per layer, batch \(batch), lanes \(Parallelism.laneCount) x blas \(BLAS.threadCount): forward / backward / their sgemm-only (ms)")
        let names = model.nodeNames
        for (previous, name) in zip(names, names.dropFirst()) {
            guard let layer = model.layer(named: name), let x = model.activation(of: previous), let y = model.activation(of: name) else { continue }
            let seed = Tensor(shape: y.shape, scalars: (0..<y.count).map { _ in Float.random(in: -1e-3...1e-3, using: &generator) })
            let calls = BLAS.recordingCalls {
                _ = layer.forward(inputs: [x])
                _ = layer.backward(outputGradient: seed, modifier: nil)
            }
            let replay = Replay(calls)
            var forward = Double.infinity, backward = Double.infinity, gemm = calls.isEmpty ? 0 : Double.infinity
            for _ in 0..<repetitions {
                let start = ContinuousClock.now
                _ = layer.forward(inputs: [x])
                let middle = ContinuousClock.now
                _ = layer.backward(outputGradient: seed, modifier: nil)
                forward = min(forward, seconds(middle - start))
                backward = min(backward, seconds(ContinuousClock.now - middle))
                if !calls.isEmpty { gemm = min(gemm, replay.time()) }
            }
            print(String(format: "      %-8@ %-8@ %7.2f  %7.2f  %7.2f", name, layer.typeName, forward * 1e3, backward * 1e3, gemm * 1e3))
        }
    }

    /// The GEMMs of a pass replayed alone on private buffers, each lane on its own thread as the engine ran them.
    final class Replay {
        let lanes: [[BLAS.Call]]
        let buffers: [LaneBuffers]

        init(_ calls: [BLAS.Call]) {
            lanes = Dictionary(grouping: calls, by: \.lane).sorted { $0.key < $1.key }.map(\.value)
            buffers = lanes.map { laneCalls in
                LaneBuffers(a: randomBuffer(laneCalls.map { $0.extents.a }.max() ?? 0),
                            b: randomBuffer(laneCalls.map { $0.extents.b }.max() ?? 0),
                            c: randomBuffer(laneCalls.map { $0.extents.c }.max() ?? 0))
            }
        }

        deinit { for buffer in buffers { buffer.a.deallocate(); buffer.b.deallocate(); buffer.c.deallocate() } }

        func run() {
            if lanes.count == 1 {
                for call in lanes[0] { BLAS.replay(call, a: buffers[0].a, b: buffers[0].b, c: buffers[0].c) }
                return
            }
            let (lanes, buffers) = (lanes, buffers)
            DispatchQueue.concurrentPerform(iterations: lanes.count) { lane in
                for call in lanes[lane] { BLAS.replay(call, a: buffers[lane].a, b: buffers[lane].b, c: buffers[lane].c) }
            }
        }

        /// Seconds for one replay.
        func time() -> Double {
            let start = ContinuousClock.now
            run()
            return seconds(ContinuousClock.now - start)
        }
    }

    /// One lane's operands; each lane thread touches only its own.
    struct LaneBuffers: @unchecked Sendable {
        let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
    }

    static func randomBuffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        var generator = SeededRandom(seed: 42)
        for i in 0..<max(count, 1) { buffer[i] = Float.random(in: -0.01...0.01, using: &generator) }
        return buffer
    }

    static func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) * 1e-18
    }

    /// PilotNet with He-uniform random weights and small random biases, built with Keras-layout kernels.
    static func pilotNet(activation: ActivationKind) throws -> Model {
        var generator = SeededRandom(seed: 42)
        func uniform(_ shape: [Int], fanIn: Int) -> Tensor {
            let limit = (6 / Float(fanIn)).squareRoot()
            return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -limit...limit, using: &generator) })
        }
        func bias(_ count: Int) -> Tensor {
            Tensor(shape: [count], scalars: (0..<count).map { _ in Float.random(in: -0.05...0.05, using: &generator) })
        }
        var layers: [any Layer] = []
        var channels = 3
        for (index, (filters, size, stride)) in [(24, 5, 2), (36, 5, 2), (48, 5, 2), (64, 3, 1), (64, 3, 1)].enumerated() {
            layers.append(try Conv2D(name: "conv\(index + 1)", kernel: uniform([size, size, channels, filters], fanIn: size * size * channels),
                                     bias: bias(filters), strides: (stride, stride), activation: activation))
            channels = filters
        }
        layers.append(Flatten(name: "flatten"))
        var features = 1152
        for (index, units) in [100, 50, 10, 1].enumerated() {
            layers.append(try Dense(name: "dense\(index + 1)", kernel: uniform([features, units], fanIn: features), bias: bias(units),
                                    activation: units == 1 ? .linear : activation))
            features = units
        }
        return try Model(inputShape: [66, 200, 3], layers: layers)
    }
}
