import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The handlers log every decision at INFO and print metrics; tests read outcomes, not logs.
    env: {
      POWERTOOLS_LOG_LEVEL: 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
