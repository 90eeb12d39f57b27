import CBLAS

/// IrrepScope runs its own worker threads and calls BLAS from each of them, so OpenBLAS's
/// thread pool is pure overhead: its idle threads spin on `sched_yield` for a while after
/// the library loads and compete with the workers for the cores (measured: a quarter of a
/// 110 ms `analyze` on 2 cores). This limits OpenBLAS to the calling thread and stops the
/// pool, once per process. Safe to call from any thread; later calls do nothing.
///
/// Every module that calls BLAS from `parallelWorkers` (Fourier's GEMM transform, Groups'
/// matrix route, Analysis' forward pass) calls this first.
public func useSingleThreadedBLAS() {
    _ = blasSingleThreaded
}

private let blasSingleThreaded: Void = {
    openblas_set_num_threads(1)
    _ = blas_thread_shutdown_()
}()
