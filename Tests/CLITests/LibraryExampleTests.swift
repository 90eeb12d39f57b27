import Foundation
import XCTest

/// examples/LibraryExample analyzes data/c71-quadratic-final.pt through the Analysis module and
/// prints what `irrepscope analyze` prints for it.
final class LibraryExampleTests: XCTestCase {
    func testTheExamplePrintsTheAnalysisOfTheTrainedNetwork() throws {
        let example = CLI.binary.deletingLastPathComponent().appendingPathComponent("library-example")
        guard FileManager.default.isExecutableFile(atPath: example.path) else {
            return XCTFail("library-example not built next to \(CLI.binary.path)")
        }
        let p = Process()
        p.executableURL = example
        p.currentDirectoryURL = RecordedOutputTests.root
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let r = try CLI.run(["analyze", "data/c71-quadratic-final.pt", "--group", "C71", "--format", "json"], cwd: RecordedOutputTests.root)
        let summary = try XCTUnwrap(r.json?["summary"] as? [String: Any])
        let margin = try XCTUnwrap(summary["margin"] as? [String: Any])
        XCTAssert(text.contains("accuracy \(String(format: "%.2f", (summary["accuracy"] as! Double) * 100))% on all 5041 pairs"), text)
        XCTAssert(text.contains("normalized margin \(String(format: "%.6g", margin["normalized"] as! Double))"), text)
        XCTAssert(text.contains("margin / γ* = \(String(format: "%.4f", margin["ratio"] as! Double))"), text)
        XCTAssert(text.contains("components used: \((summary["components_used"] as! [Any]).count) of 35 frequencies"), text)
    }
}

/// What `make install` puts next to the binary: completions for every shell, the version line.
final class InstallPiecesTests: XCTestCase {
    func testCompletionScriptsNameEverySubcommandAndTheVersionNamesTheLibraries() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try CLI.run(["--generate-completion-script", shell])
            XCTAssertEqual(r.status, 0, r.stderr)
            for sub in ["analyze", "batch", "spectrum", "decompose", "characters", "irreps", "inspect", "merge"] {
                XCTAssert(r.stdout.contains(sub), "\(shell) completion lacks \(sub)")
            }
        }
        let v = try CLI.run(["--version"])
        XCTAssertEqual(v.status, 0)
        XCTAssert(v.stdout.hasPrefix("0.1.0 (fftw-3."), v.stdout)
        XCTAssert(v.stdout.contains("OpenBLAS"), v.stdout)
    }
}
