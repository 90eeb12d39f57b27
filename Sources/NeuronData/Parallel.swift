import Foundation

/// A raw pointer handed to worker threads that write disjoint parts of one buffer.
public struct SharedMutablePointer<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public init(_ p: UnsafeMutablePointer<T>) { pointer = p }
}

/// Runs `body(worker)` for worker = 0 ..< workers concurrently and waits for all.
public func parallelWorkers(_ workers: Int, _ body: @Sendable (Int) -> Void) {
    if workers <= 1 { body(0); return }
    DispatchQueue.concurrentPerform(iterations: workers, execute: body)
}
