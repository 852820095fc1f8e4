package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static org.bytedeco.cuda.global.cudart.*;

import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraph_st;
import org.bytedeco.cuda.cudart.CUstream_st;

/**
 * Stream capture into CUDA graphs on one stream ({@link DecodeGraphs}' launcher on the GPU).
 *
 * <p>Capture mode is thread-local: this thread may not call an unsafe API (cudaMalloc, a
 * synchronous copy, a synchronisation) while capturing, which would make the graph wrong; other
 * threads (another backend of the same JVM on another GPU) are not affected. Such a call fails, the
 * capture is invalidated, and {@link #capture} ends it, discards it and throws
 * {@link DecodeGraphs.CaptureFailed}: the stream is never left capturing.
 */
final class CudaGraphs implements DecodeGraphs.Launcher<CUgraphExec_st> {
  private final CUstream_st stream;

  CudaGraphs(CUstream_st stream) {
    this.stream = stream;
  }

  @Override
  public CUgraphExec_st capture(Runnable enqueue) throws DecodeGraphs.CaptureFailed {
    ensureNotCapturing("before capture");
    check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
    RuntimeException failure = null;
    CUgraph_st graph = new CUgraph_st();
    int endRc;
    try {
      enqueue.run();
    } catch (RuntimeException e) {
      failure = e;
    } finally {
      endRc = cudaStreamEndCapture(stream, graph); // always: an Error thrown above still ends the capture
      if ((failure != null || endRc != 0) && !graph.isNull()) cudaGraphDestroy(graph);
      if (failure != null || endRc != 0) cudaGetLastError(); // capture errors are not sticky: clear the last one
    }
    ensureNotCapturing("after a capture");
    if (failure != null) throw new DecodeGraphs.CaptureFailed(failure.getMessage(), failure);
    if (endRc != 0) throw new DecodeGraphs.CaptureFailed(error("cudaStreamEndCapture", endRc), null);
    CUgraphExec_st exec = new CUgraphExec_st();
    int rc = cudaGraphInstantiate(exec, graph, 0L);
    cudaGraphDestroy(graph); // the executable graph keeps its own copy of the nodes
    if (rc != 0) {
      cudaGetLastError();
      throw new DecodeGraphs.CaptureFailed(error("cudaGraphInstantiate", rc), null);
    }
    return exec;
  }

  @Override
  public void launch(CUgraphExec_st graph) {
    check(cudaGraphLaunch(graph, stream), "cudaGraphLaunch");
  }

  @Override
  public void destroy(CUgraphExec_st graph) {
    if (!graph.isNull()) cudaGraphExecDestroy(graph);
    graph.setNull();
  }

  /** Whether the stream is capturing now (checks). */
  boolean capturing() {
    int[] status = new int[1];
    check(cudaStreamIsCapturing(stream, status), "cudaStreamIsCapturing");
    return status[0] != cudaStreamCaptureStatusNone;
  }

  private void ensureNotCapturing(String when) {
    if (capturing()) throw new CudaException("stream is in capture mode " + when + " (cudaStreamIsCapturing)");
  }

  private static String error(String call, int rc) {
    try {
      check(rc, call);
      return call + " failed (" + rc + ")";
    } catch (CudaException e) {
      return e.getMessage();
    }
  }
}
