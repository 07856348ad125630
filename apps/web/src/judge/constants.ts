/** Samples merged for statuses and findings: long enough to smooth one odd interval, short enough to react within seconds. */
export const JUDGE_WINDOW_SAMPLES = 5;
