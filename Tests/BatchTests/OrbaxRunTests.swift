import Foundation
import XCTest
@testable import Batch
import Checkpoints

/// A directory of Orbax steps (ckpt/0, ckpt/100, ckpt/1000) is one run, ordered by step.
final class OrbaxRunTests: XCTestCase {
    static let run = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CheckpointsTests/Fixtures/orbax/run").path

    func testStepDirectoriesAreOneRunOrderedByStep() throws {
        let (items, skipped) = try BatchInputs.discover([Self.run], lists: ListFileCache())
        XCTAssertEqual(items.map { URL(fileURLWithPath: $0.path).lastPathComponent }, ["0", "100", "1000"])
        XCTAssertTrue(items.allSatisfy { $0.run == Self.run })
        XCTAssertEqual(skipped, [])
        // One step directory given by itself is one item.
        let one = try BatchInputs.discover([Self.run + "/100"], lists: ListFileCache())
        XCTAssertEqual(one.items.map(\.path), [Self.run + "/100"])
    }

    /// The same for steps in the OCDBT layout (orbax.checkpoint's default).
    func testOCDBTStepDirectoriesAreOneRunOrderedByStep() throws {
        let run = Self.run.replacingOccurrences(of: "/orbax/run", with: "/orbax/ocdbt_run")
        let (items, skipped) = try BatchInputs.discover([run], lists: ListFileCache())
        XCTAssertEqual(items.map { URL(fileURLWithPath: $0.path).lastPathComponent }, ["0", "100"])
        XCTAssertTrue(items.allSatisfy { $0.run == run })
        XCTAssertEqual(skipped, [])
        for item in items {
            let c = try CheckpointLoader.load(path: item.path)
            XCTAssertEqual(c.tensors.count, 7)
            XCTAssertTrue(c.metadata.contains { $0.key == "step" && $0.value == .int(Int64(URL(fileURLWithPath: item.path).lastPathComponent)!) })
        }
    }
}
