import Foundation
import Testing
import NeuronData

/// NeuronData on its own (no FFTW, no groups): the strided view, the summaries' known
/// answers and the worker helpers.
@Suite struct NeuronDataTests {
    @Test("a NeuronMatrix reads neuron n, sample a at base[n·neuronStride + a·sampleStride]")
    func strides() {
        // 3 samples × 2 neurons stored sample-major: neuron n, sample a = 10·a + n.
        let data: [Float] = [0, 1, 10, 11, 20, 21]
        data.withUnsafeBufferPointer { b in
            let m = NeuronMatrix(base: b.baseAddress!, neurons: 2, length: 3, neuronStride: 1, sampleStride: 2)
            for n in 0..<2 { for a in 0..<3 { #expect(m.base[n * m.neuronStride + a * m.sampleStride] == Float(10 * a + n)) } }
        }
    }

    @Test("PowerSummary: shares, dominant, IPR, top-k with ties to the lower index")
    func summary() throws {
        // powers 4 (trivial), 1, 3, 3, 1: normalizer 8 without the trivial component.
        let s = PowerSummary(powers: [4, 1, 3, 3, 1][...], trivialComponent: 0, includeTrivial: false, zeroTolerance: 1e-24)
        #expect(s.total == 12 && s.normalizer == 8)
        #expect(s.shares! == [0, 0.125, 0.375, 0.375, 0.125])
        #expect(s.dominant == 2 && s.maxNormalizedPower == 0.375)
        #expect(s.ipr == 2 * 0.125 * 0.125 + 2 * 0.375 * 0.375)
        let top = s.top(3)
        #expect(top.map(\.component) == [2, 3, 1])
        #expect(top.map(\.cumulative) == [0.375, 0.75, 0.875])
        // With the trivial component: normalizer 12, the maximum runs over all.
        let t = PowerSummary(powers: [4, 1, 3, 3, 1][...], trivialComponent: 0, includeTrivial: true, zeroTolerance: 1e-24)
        #expect(t.normalizer == 12 && t.dominant == 0)
        // All power in the trivial component: undefined, not NaN.
        let u = PowerSummary(powers: [5, 0, 0][...], trivialComponent: 0, includeTrivial: false, zeroTolerance: 1e-24)
        #expect(u.shares == nil && u.maxNormalizedPower == nil && u.ipr == nil && u.dominant == nil)
    }

    @Test("PowerTable rows, histogram bins (1 in the last bin) and statistics")
    func tableHistogramStatistics() {
        let table = PowerTable(neuronCount: 2, componentCount: 3, powers: [1, 1, 0, 0, 0, 0])
        #expect(Array(table.powers(ofNeuron: 0)) == [1, 1, 0])
        #expect(table.maxNormalizedPowers[0] == 1 && table.maxNormalizedPowers[1] == nil)
        let h = PowerHistogram(values: [0, 0.05, 0.5, 1, nil, .nan], bins: 10)
        #expect(h.counts == [2, 0, 0, 0, 0, 1, 0, 0, 0, 1] && h.undefined == 2)
        #expect(h.edges.first == 0 && h.edges.last == 1 && h.edges.count == 11)
        let st = PowerStatistics(values: [0.2, 0.95, 1, nil])
        #expect(st.count == 3 && st.undefined == 1 && st.median == 0.95)
        #expect(st.fractionAtLeast090 == 2.0 / 3 && st.fractionAtLeast099 == 1.0 / 3)
    }

    @Test("parallelWorkers runs every worker once; SharedMutablePointer carries the buffer")
    func workers() {
        var out = [Int](repeating: -1, count: 7)
        out.withUnsafeMutableBufferPointer { b in
            let p = SharedMutablePointer(b.baseAddress!)
            parallelWorkers(7) { w in p.pointer[w] = w * w }
        }
        #expect(out == (0..<7).map { $0 * $0 })
        useSingleThreadedBLAS(); useSingleThreadedBLAS()  // idempotent
    }
}
