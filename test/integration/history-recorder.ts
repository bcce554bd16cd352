// The history recorder moved to test/support/ so the Jepsen-style runs share it; re-exported here
// for the integration tests.
export { errorText, HistoryRecorder, writeOutcome } from '../support/history-recorder.js';
