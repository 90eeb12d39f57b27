import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Analysis
@testable import Reports

@Suite struct NeuronPlotTests {
    /// The interpolant passes through every sample (odd and even n, the Nyquist term included).
    @Test func interpolationPassesThroughTheSamples() {
        for n in [1, 2, 7, 8, 71] {
            var rng = SystemRandomNumberGenerator()
            let x = (0..<n).map { _ in Double.random(in: -1...1, using: &rng) }
            let f = NeuronPlots.interpolate(x, at: (0..<n).map(Double.init))
            for j in 0..<n { #expect(abs(f[j] - x[j]) < 1e-12, "n = \(n), j = \(j)") }
        }
    }

    /// A single-frequency signal is interpolated by its own sinusoid, between the samples too:
    /// x_j = A cos(2πkj/n + φ) + c gives f(t) = A cos(2πkt/n + φ) + c (docs/theory.md §4).
    @Test func singleFrequencyInterpolatesToItsSinusoid() {
        let n = 71, k = 17, amplitude = 0.37, phase = 1.1, offset = 0.05
        func g(_ t: Double) -> Double { amplitude * cos(2 * Double.pi * Double(k) * t / Double(n) + phase) + offset }
        let x = (0..<n).map { g(Double($0)) }
        let grid = stride(from: 0.0, through: Double(n - 1), by: 0.125).map { $0 }
        let f = NeuronPlots.interpolate(x, at: grid)
        for (t, v) in zip(grid, f) { #expect(abs(v - g(t)) < 1e-12, "t = \(t)") }
    }

    /// Each panel's dots are the profile's weights and its bars the shares of its powers.
    @Test func panelsCarryTheRecordsNumbers() throws {
        let values: [String: [Double]] = ["u": [0.5, -0.25, 0.125, 1, -1], "v": [0, 1, 0, -1, 0], "w": [1, 1, 1, 1, 1]]
        let power: [String: [Double]] = ["u": [0.1, 0.6, 0.3], "v": [0, 2, 0], "w": [5, 0, 0]]
        let profile = NeuronProfileRecord(index: 3, norm: 2, values: values, power: power)
        for cyclic in [true, false] {
            let labels = cyclic ? ["0", "1", "2"] : ["triv", "sign", "std"]
            let svg = cyclic
                ? NeuronPlots.cyclicPanel(id: "neuron-3", title: "t", profile: profile, roles: ["u", "v", "w"], labels: labels)
                : NeuronPlots.sharesPanel(id: "neuron-3", title: "t", profile: profile, roles: ["u", "v", "w"], labels: labels,
                                          x0: 72, width: 640, totalWidth: 720, xLabel: "irrep", open: true)
            let doc = try #require(ElementCollector.parse(svg))
            // Bars: role-major, share = power / total of the role.
            let shares = doc.elements.compactMap { $0.attributes["data-share"].flatMap(Double.init) }
            let expected = ["u", "v", "w"].flatMap { r in power[r]!.map { $0 / power[r]!.reduce(0, +) } }
            #expect(shares == expected)
            let dots = doc.elements.compactMap { $0.attributes["data-value"].flatMap(Double.init) }
            #expect(dots == (cyclic ? ["u", "v", "w"].flatMap { values[$0]! } : []))
        }
    }
}
