package ai.gptoss.spark.exec;

/**
 * An engine of an executor JVM: its device (one engine per device at a time) and its settings.
 *
 * @param device "cpu" or "cuda:N"
 * @param settings what the engine loaded and how it uses the device's memory
 */
record EngineKey(String device, EngineSettings settings) {
  String model() {
    return settings.model();
  }

  String modelDisplay() {
    return settings.modelDisplay();
  }
}
