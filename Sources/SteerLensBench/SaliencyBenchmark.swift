import Foundation
import NeuralNet
import Saliency

/// Three-map saliency throughput (increase, decrease, maintain) for PilotNet 66×200 at batch 1 and 32,
/// beside one map (the three share one backward pass, so they should cost about the same), and beside
/// the TensorFlow peers measured in the same run by `Benchmarks/peers/tf_saliency_peer.py`.
enum SaliencyBenchmark {
    static func run(repetitions: Int) throws {
        print("saliency maps, PilotNet 66x200x3 (ELU, random weights), best of \(repetitions)")
        let model = try EngineBenchmark.pilotNet(activation: .elu(alpha: 1))
        var ours: [Int: Double] = [:]
        for batch in [1, 32] {
            let input = Tensor(shape: [batch, 66, 200, 3], scalars: (0..<(batch * 66 * 200 * 3)).map { Float($0 % 256) })
            let oneMap = try SaliencyEngine(model: model, kinds: [.increase]), threeMaps = try SaliencyEngine(model: model, kinds: SaliencyMapKind.steering)
            let seconds = try Timing.bestSeconds(rounds: repetitions, [{ _ = try oneMap.run(input) }, { _ = try threeMaps.run(input) }])
            let (one, three) = (Double(batch) / seconds[0], Double(batch) / seconds[1])
            ours[batch] = three
            print(String(format: "  steerlens batch %2d: three maps %7.1f frames/s, one map %7.1f frames/s (three cost %.2fx one)", batch, three, one, one / three))
        }
        let peers = tensorFlowPeers()
        guard !peers.isEmpty else {
            print("  peers: unavailable (pip install tensorflow-cpu tf-keras tf-keras-vis)")
            return
        }
        for (name, batch, rate) in peers {
            let ratio = ours[batch].map { String(format: "steerlens is %.1fx", $0 / rate) } ?? ""
            print(String(format: "  %@ batch %2d: %7.1f frames/s  %@", name.padding(toLength: 16, withPad: " ", startingAt: 0), batch, rate, ratio))
        }
    }

    /// `(name, batch, frames/s)` lines printed by the peer script, or nothing when TensorFlow is missing.
    static func tensorFlowPeers() -> [(String, Int, Double)] {
        guard let output = ChildProcess.peer("tf_saliency_peer.py", ["1", "32"])?.text else { return [] }
        return output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count >= 3, let batch = parts.first(where: { $0.hasPrefix("batch=") }).flatMap({ Int($0.dropFirst(6)) }),
                  let rate = parts.last.flatMap({ Double($0.split(separator: "=").last ?? "") }) else { return nil }
            return (String(line.prefix { $0 != " " }), batch, rate)
        }
    }
}
