import Foundation
import Testing
@testable import Analysis
import Checkpoints
import Groups

/// The checkpoints in data/ were trained by PyTorch (examples/train/) and their reference
/// numbers computed independently with numpy (scripts/expected_values.py → data/expected/).
/// These tests read the torch files natively and hold IrrepScope's numbers against numpy's.
enum TrainedData {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data")
    static func path(_ name: String) -> String { root.appendingPathComponent(name).path }
    static func expected(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent("expected/\(name).json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// The analysis through the library's entry point (the network found by its family).
    static func analyze(_ file: String, group name: String, activation: Activation = .quadratic) throws -> GroupAnalysis {
        var request = AnalysisRequest(task: .group(name))
        request.activation = activation
        guard case .group(let a, _) = try Analyzer.analyze(path: path(file), request) else { throw AnalysisError("not a group analysis") }
        return a
    }

    /// The paper's network as its family assembles it.
    static func network(_ file: String, group g: FiniteGroup, activation: Activation = .quadratic) throws -> GroupNetwork {
        let ck = try CheckpointLoader.load(path: path(file))
        let layout = try NetworkLocator.locate(in: ck, order: g.order)
        let (u, v) = try NetworkLocator.inputs(layout, in: ck, rowOfElement: nil)
        let w = try NetworkLocator.elementMajor(layout.w, in: ck, rowOfElement: nil)
        return GroupNetwork(order: g.order, width: layout.width, activation: activation, u: u, v: v, w: w)
    }
}

@Suite struct TrainedCheckpointTests {
    @Test(arguments: ["c71-quadratic-final.pt", "c71-quadratic-final.safetensors"])
    func c71QuadraticFinalHasTheTheoremsStructure(file: String) throws {
        let a = try TrainedData.analyze(file, group: "C71")
        let e = try TrainedData.expected("c71-quadratic-final")
        #expect(a.width == 500)
        #expect(a.accuracy == 1)
        #expect(a.unusedComponents.isEmpty, "every frequency is used")
        #expect(a.statistics("u")!.fractionAtLeast090! > 0.95, "most neurons have max normalized power ≥ 0.9")
        #expect(abs(a.normalizedMargin - (e["normalized_margin"] as! Double)) / a.normalizedMargin < 1e-5)
        #expect(abs(a.marginRatio! - (e["normalized_margin_over_gamma_star"] as! Double)) < 1e-5)
        #expect(abs(a.normPowerNu - (e["norm_2_nu_pow_nu"] as! Double)) / a.normPowerNu < 1e-6)
        // Every neuron's max normalized power, u, v and w, against numpy's.
        let per = e["per_neuron"] as! [String: Any]
        #expect(a.roles == ["u", "v", "w"])
        for role in a.roles {
            let ref = (per[role] as! [String: Any])["max_normalized_power"] as! [Double]
            for n in a.neurons { #expect(abs(a.part(role, of: n)!.maxNormalizedPower! - ref[n.index]) < 1e-6) }
        }
        let perFrequency = (e["summary_u"] as! [String: Any])["neurons_per_frequency"] as! [String: Int]
        #expect(perFrequency.count == 35)
    }

    /// README: on the trained checkpoints the single-precision screen runs and settles almost
    /// every pair (measured here: 1–10 of C_71's 5041 pairs and 2 of S_4's 576 recomputed;
    /// other CPUs round the sgemm differently, hence the 1% allowance).
    @Test(arguments: [("c71-quadratic-final.pt", "C71", Activation.quadratic), ("c71-quadratic-init.pt", "C71", .quadratic),
                      ("c71-relu-final.pt", "C71", .relu), ("s4-quadratic-final.pt", "S4", .quadratic),
                      ("s5-quadratic-final.pt", "S5", .quadratic)])
    func trainedNetworksAreSettledInSinglePrecision(file: String, group: String, activation: Activation) throws {
        let g = try FiniteGroup.named(group)
        let net = try TrainedData.network(file, group: g, activation: activation)
        let report = net.forwardReport { g.multiply($0, $1) }
        #expect(report.screened)
        #expect(report.recomputedPairs * 100 <= g.order * g.order, "\(report.recomputedPairs) pairs recomputed")
    }

    @Test func c71InitialPowersAreSpreadOut() throws {
        let a = try TrainedData.analyze("c71-quadratic-init.pt", group: "C71")
        let e = try TrainedData.expected("c71-quadratic-init")
        #expect(a.statistics("u")!.fractionAtLeast090 == 0)
        #expect(a.statistics("u")!.mean! < 0.2)
        #expect(abs(a.statistics("u")!.mean! - ((e["summary_u"] as! [String: Any])["mean_max_power"] as! Double)) < 1e-6)
        #expect(a.accuracy < 0.1)
    }

    @Test func c71ReluIsNearlySparseButQuotesNoGammaStar() throws {
        let a = try TrainedData.analyze("c71-relu-final.pt", group: "C71", activation: .relu)
        let e = try TrainedData.expected("c71-relu-final")
        #expect(a.accuracy == 1)
        #expect(a.bound.value == nil)
        #expect(abs(a.statistics("u")!.mean! - ((e["summary_u"] as! [String: Any])["mean_max_power"] as! Double)) < 1e-6)
        #expect(abs(a.normalizedMargin - (e["normalized_margin"] as! Double)) / a.normalizedMargin < 1e-5)
    }

    @Test func s4UsesEveryNonTrivialIrrep() throws {
        let a = try TrainedData.analyze("s4-quadratic-final.pt", group: "S4")
        let e = try TrainedData.expected("s4-quadratic-final")
        #expect(a.accuracy == 1)
        #expect(a.unusedComponents.isEmpty)
        #expect(abs(a.marginRatio! - (e["normalized_margin_over_gamma_star"] as! Double)) < 1e-5)
        // numpy's per-neuron isotypic fractions (character route, hard-coded S_4 table) in the
        // irrep order of data/expected, against ours.
        let order = e["irrep_order"] as! [String]
        let ours = a.componentLabels
        let fractions = ((e["per_neuron"] as! [String: Any])["u"] as! [String: Any])["fractions"] as! [[Double]]
        let byLabel = (e["summary_u"] as! [String: Any])["neurons_per_irrep"] as! [String: Int]
        for (label, count) in byLabel {
            let c = try #require(ours.firstIndex(of: label), "irrep \(label)")
            #expect(a.neuronsPerComponent[c] == count)
        }
        for n in a.neurons {
            let f = fractions[n.index]
            let nonTrivial = f.enumerated().filter { order[$0.offset] != "[4]" }
            let maxShare = nonTrivial.map(\.element).max()! / nonTrivial.map(\.element).reduce(0, +)
            #expect(abs(a.part("u", of: n)!.maxNormalizedPower! - maxShare) < 1e-5)
        }
    }

    /// The paper's S_5 experiment (m = 2000, 75k steps of SGD with batch 1000; data/README.md)
    /// against numpy (data/expected/s5-quadratic-final.json, the published S_5 character table).
    @Test func s5UsesEveryNonTrivialIrrepOnePerNeuron() throws {
        let a = try TrainedData.analyze("s5-quadratic-final.pt", group: "S5")
        let e = try TrainedData.expected("s5-quadratic-final")
        #expect(a.width == 2000)
        #expect(a.accuracy == 1)
        #expect(a.unusedComponents.isEmpty, "every non-trivial irrep is some neuron's")
        #expect(a.fractionAgree == 1, "u, v, w in the same irrep for every neuron")
        // Theorem 9's γ* for S_5 (its character condition holds): 2 / (3√360) / Σ d^{5/2}.
        #expect(a.bound.theorem == "Theorem 9")
        #expect(abs(a.bound.value! - 1.32598e-4) < 5e-10)
        #expect(abs(a.bound.value! - (e["gamma_star"] as! Double)) < 1e-9 * a.bound.value!)   // numpy, 10 digits
        #expect(abs(a.marginRatio! - (e["normalized_margin_over_gamma_star"] as! Double)) < 1e-5)
        #expect(abs(a.normalizedMargin - (e["normalized_margin"] as! Double)) / a.normalizedMargin < 1e-6)
        let order = e["irrep_order"] as! [String]
        for role in a.roles {
            let summary = e["summary_\(role)"] as! [String: Any]
            #expect(abs(a.statistics(role)!.fractionAtLeast090! - (summary["fraction_max_share_ge_0.9"] as! Double)) < 1e-9)
            let per = (e["per_neuron"] as! [String: Any])[role] as! [String: Any]
            let shares = per["max_nontrivial_share"] as! [Double]
            let dominant = per["dominant_irrep"] as! [String]
            for n in a.neurons {
                #expect(abs(a.part(role, of: n)!.maxNormalizedPower! - shares[n.index]) < 1e-6)
                #expect(a.componentLabels[a.part(role, of: n)!.dominant!] == dominant[n.index])
            }
        }
        let counts = (e["summary_u"] as! [String: Any])["neurons_per_irrep"] as! [String: Int]
        for label in order.dropFirst() {
            let c = try #require(a.componentLabels.firstIndex(of: label))
            #expect(a.neuronsPerComponent[c] == counts[label], "\(label)")
        }
    }

    /// The margin trajectory of the S_5 run: the initial and final checkpoints (float32) and
    /// three intermediate ones stored in float16 (data/README.md: the precision lost), each
    /// against numpy's numbers for the very file.
    @Test(arguments: ["s5-quadratic-init", "s5-quadratic-run/s5-quadratic-step003512", "s5-quadratic-run/s5-quadratic-step009743",
                      "s5-quadratic-run/s5-quadratic-step027032", "s5-quadratic-final"])
    func s5TrajectoryMatchesNumpy(file: String) throws {
        let a = try TrainedData.analyze(file + ".pt", group: "S5")
        let e = try TrainedData.expected(file.replacingOccurrences(of: "/", with: "--"))
        #expect(abs(a.accuracy - (e["accuracy"] as! Double)) < 1e-9)
        #expect(abs(a.marginRatio! - (e["normalized_margin_over_gamma_star"] as! Double)) < 1e-5 * max(1, abs(a.marginRatio!)))
        #expect(abs(a.statistics("u")!.mean! - ((e["summary_u"] as! [String: Any])["mean_max_share"] as! Double)) < 1e-6)
    }

    @Test func parityMatchesTheorem8() throws {
        guard case .parity(let a, _) = try Analyzer.analyze(path: TrainedData.path("parity-10-4-final.pt"), AnalysisRequest(task: .parity(n: 10, k: 4, support: nil))) else {
            Issue.record("not a parity analysis"); return
        }
        let e = try TrainedData.expected("parity-10-4-final")
        #expect(a.support == (e["support"] as! [Int]))
        #expect(a.accuracy == 1)
        #expect(abs(a.marginRatio! - (e["normalized_margin_over_gamma_star"] as! Double)) < 1e-5)
        let mass = (e["per_neuron"] as! [String: Any])["fraction_of_u_norm2_on_support"] as! [Double]
        for n in a.neurons { #expect(abs(n.supportMass! - mass[n.index]) < 1e-6) }
        #expect(a.weightedSupportMass090 > 0.95)
    }
}
