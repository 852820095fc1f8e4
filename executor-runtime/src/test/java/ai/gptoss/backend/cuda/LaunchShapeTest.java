package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.BackendException;
import org.junit.jupiter.api.Test;

/** The launch choices the CUDA backend makes from the step's shape and the device, testable without a GPU. */
class LaunchShapeTest {
  @Test
  void rowKernelsTakeAWholeBlockPerRowInSmallSteps() {
    assertEquals(1024, ForwardPass.rowThreads(1, 256));
    assertEquals(1024, ForwardPass.rowThreads(ForwardPass.FEW_ROWS, 128));
    assertEquals(256, ForwardPass.rowThreads(ForwardPass.FEW_ROWS + 1, 256));
    assertEquals(128, ForwardPass.rowThreads(16384, 128));
  }

  @Test
  void programmaticLaunchOnHopperAndLaterUnlessSwitchedOff() {
    assertTrue(DevicePlan.programmaticLaunch(9, null));
    assertTrue(DevicePlan.programmaticLaunch(10, "auto"));
    assertFalse(DevicePlan.programmaticLaunch(8, null)); // Ampere has no griddepcontrol
    assertFalse(DevicePlan.programmaticLaunch(8, "on"));
    assertFalse(DevicePlan.programmaticLaunch(9, "0"));
    assertFalse(DevicePlan.programmaticLaunch(9, " OFF "));
    BackendException e = assertThrows(BackendException.class, () -> DevicePlan.programmaticLaunch(9, "yes"));
    assertTrue(e.getMessage().contains("GPTOSS_CUDA_PDL=yes"), e.getMessage());
  }
}
