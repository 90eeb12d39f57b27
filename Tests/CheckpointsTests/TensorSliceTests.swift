import Foundation
import Testing
@testable import Checkpoints

/// NumPy basic slicing after a key path selects a view, in C and Fortran order alike; the
/// expected elements are written out by hand from NumPy's rules.
@Suite struct TensorSliceTests {
    @Test(arguments: ["f4_c", "f4_fortran"])
    func slicesSelectTheElementsNumpyWould(name: String) throws {
        let ck = try CheckpointLoader.load(path: NPYFixtures.path(name))
        let full = ck.tensors[0]
        let v = NPYFixtures.expected[name]!.values
        let (rows, cols) = (full.shape[0], full.shape[1])
        func at(_ r: Int, _ c: Int) -> Double { v[r * cols + c] }
        let cases: [(String, [Int], [Double])] = [
            ("[1, 2:5]", [3], [at(1, 2), at(1, 3), at(1, 4)]),
            ("[::-1, 0]", [rows], (0..<rows).reversed().map { at($0, 0) }),
            ("[-1, ::-3]", [4], [10, 7, 4, 1].map { at(rows - 1, $0) }),
            ("[:, 9:]", [rows, 2], (0..<rows).flatMap { [at($0, 9), at($0, 10)] }),
            ("[0]", [cols], (0..<cols).map { at(0, $0) }),
            ("[1:1]", [0, cols], []),
            ("[:, -2]", [rows], (0..<rows).map { at($0, cols - 2) }),
        ]
        for (spec, shape, values) in cases {
            let t = try ck.tensor(named: full.name + spec)
            #expect(t.shape == shape, "\(spec)")
            #expect(try t.doubleValues() == values, "\(spec)")
        }
    }

    @Test func badSlicesAreErrorsThatShowTheShape() throws {
        let ck = try CheckpointLoader.load(path: NPYFixtures.path("f4_c"))
        let name = ck.tensors[0].name
        for (spec, phrase) in [("[99]", "out of range for axis 0"), ("[0, 0, 0]", "3 indices for 2 dimensions"),
                               ("[::0]", "step 0"), ("[x:]", "'x' is not an integer"), ("[1:2:3:4]", "more than two ':'")] {
            #expect { try ck.tensor(named: name + spec) } throws: { e in
                let s = "\(e)"
                return s.contains("\(ck.tensors[0].shape)") && s.contains(phrase)
            }
        }
    }
}
