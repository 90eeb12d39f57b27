import Foundation
import NeuronData

/// The elements of S_n, or of A_n (`evenOnly`), as permutations of 0…n−1 in lexicographic
/// one-line order (Python's `itertools.permutations`, docs/theory.md §6), stored flat
/// (order × n bytes); the storage and the right-to-left product that the S_n and A_n
/// kinds share. A_n's index of an even permutation is its S_n rank halved (in lexicographic
/// order the permutations at ranks 2k and 2k+1 differ by swapping the last two entries, so
/// exactly one of them is even).
struct LexicographicPermutations: Sendable {
    let n: Int
    let evenOnly: Bool
    let count: Int
    /// Permutation a at flat[a·n ..< (a+1)·n].
    let flat: [UInt8]

    init(n: Int, evenOnly: Bool) {
        self.n = n; self.evenOnly = evenOnly
        var flat: [UInt8] = []
        for p in Permutation.all(n) where !evenOnly || Permutation.sign(p) == 1 {
            for v in p { flat.append(UInt8(v)) }
        }
        self.flat = flat
        count = n == 0 ? 1 : flat.count / n
    }

    /// Rank of the permutation p[0..<n] in the lexicographic order of S_n.
    @inline(__always) static func lexRank(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var avail: UInt64 = (1 << UInt64(n)) &- 1, r = 0
        for i in 0..<n {
            let v = UInt64(p[i])
            r = r * (n - i) + (avail & ((1 << v) &- 1)).nonzeroBitCount
            avail &= ~(1 << v)
        }
        return r
    }

    @inline(__always) func index(ofRank r: Int) -> Int { evenOnly ? r / 2 : r }

    /// (a·b)(x) = a(b(x)).
    func multiply(_ a: Int, _ b: Int) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(n, 1)) { buf in
            flat.withUnsafeBufferPointer { f in
                for x in 0..<n { buf[x] = f[a * n + Int(f[b * n + x])] }
            }
            return index(ofRank: LexicographicPermutations.lexRank(UnsafePointer(buf.baseAddress!), n))
        }
    }

    func inverse(_ a: Int) -> Int { index(ofRank: Permutation.rank(Permutation.inverse(permutation(a)))) }

    func permutation(_ a: Int) -> [Int] { (0..<n).map { Int(flat[a * n + $0]) } }

    /// lcm of the cycle lengths.
    func elementOrder(_ a: Int) -> Int {
        Permutation.cycleType(permutation(a)).reduce(1) { l, c in l / gcd(l, c) * c }
    }

    /// The multiplication table, rows computed in parallel (one worker per core).
    func multiplicationTableEntries() -> [Int32] {
        let o = count, n = self.n
        var e = [Int32](repeating: 0, count: o * o)
        e.withUnsafeMutableBufferPointer { eb in
            let out = SharedMutablePointer(eb.baseAddress!)
            flat.withUnsafeBufferPointer { fb in
                let f = SharedMutablePointer(UnsafeMutablePointer(mutating: fb.baseAddress!))
                let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, o))
                let evenOnly = self.evenOnly
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    var buf = [UInt8](repeating: 0, count: max(n, 1))
                    var a = w
                    while a < o {
                        for b in 0..<o {
                            for x in 0..<n { buf[x] = f.pointer[a * n + Int(f.pointer[b * n + x])] }
                            let r = buf.withUnsafeBufferPointer { LexicographicPermutations.lexRank($0.baseAddress!, n) }
                            out.pointer[a * o + b] = Int32(evenOnly ? r / 2 : r)
                        }
                        a += workers
                    }
                }
            }
        }
        return e
    }
}
