package awsenv

// SDKAttempts bounds each AWS call's attempts, the first included: one quick retry for a
// dropped connection. The consumers own retrying on their own schedule (pipeline.Retry), and
// attempts at the two layers multiply, so this one is set here rather than left to
// AWS_MAX_ATTEMPTS. From create-hybrid-backend's retry budget (src/render/retries.ts), which
// the README's "Limits and retries" states too.
const SDKAttempts = 2
