// Allure 3 configuration used by `metastudio-conformance report` (`allure generate
// --config`): the single-file "awesome" report grouped by requirement (story label "DEL-02
// ..."), groups sorted by name, which is by requirement ID; the history file the report
// appends to (given by allure_html.py in METASTUDIO_ALLURE_HISTORY); the categories.
//
// Categories sort failures by kind. The suite's own failures name the requirement they
// break ("DEL-02: DELETE refused ..."); schemathesis' built-in checks name their code
// ("ST108 Response violates schema"). The first category that matches a test wins, so
// the order below goes from the most specific kind to the catch-alls.

const ids = (...names) => new RegExp(`(^|[\\s:])(${names.join("|")}):`);
const codes = (...names) => new RegExp(`\\b(${names.join("|")})\\b`);
const failed = ["failed"];

export default {
  // One line per run in the history file; 60 nightly runs is about two months of trend.
  historyLimit: 60,
  historyPath: process.env.METASTUDIO_ALLURE_HISTORY || undefined,
  plugins: {
    // A test that checks two requirements shows under both; feature,story would cross
    // them into wrong pairs. "name,asc" is only the default: a reader may sort otherwise.
    awesome: { options: { singleFile: true, groupBy: ["story"], defaultSortBy: "name,asc" } },
    agent: { enabled: false }, // generate adds it unless told: nothing here uses it
  },
  categories: [
    {
      // Not the server's fault: a fixture, the network or the suite itself broke. Only
      // these are broken: allure_extras.verdict_of makes every conformance failure failed.
      name: "Infrastructure or suite error",
      matchers: [
        { statuses: ["broken"] },
        { statuses: failed, message: /(network|suite) error:|ConnectionError|ReadTimeout/ },
      ],
      groupByMessage: false,
    },
    {
      name: "Status gating: DELETE by job state, NA-only commands by tenant",
      matchers: { statuses: failed, message: ids("DEL-01", "DEL-02", "CMD-06") },
      groupByMessage: false,
    },
    {
      name: "Lifecycle: what requests do to jobs",
      matchers: [
        { statuses: failed, message: ids("DEL-03", "DEL-04", "CMD-08", "CMD-09", "MOD-0\\d") },
        { statuses: failed, message: codes("ST301", "ST302") },
      ],
      groupByMessage: false,
    },
    {
      name: "Authentication and isolation",
      matchers: [
        { statuses: failed, message: ids("AUTH-0\\d") },
        { statuses: failed, message: codes("ST401", "ST402") },
      ],
      groupByMessage: false,
    },
    {
      name: "Error body: {error_code, error_msg}",
      matchers: { statuses: failed, message: ids("ERR-01") },
      groupByMessage: false,
    },
    {
      name: "Server errors (5xx)",
      matchers: [
        { statuses: failed, message: ids("ERR-02") },
        { statuses: failed, message: codes("ST101") },
      ],
      groupByMessage: false,
    },
    {
      name: "Request validation: what must be refused or accepted",
      matchers: [
        { statuses: failed, message: ids("CMD-01", "CMD-02", "CMD-07", "HDR-02", "VAL-0\\d") },
        { statuses: failed, message: codes("ST20[1-5]") },
      ],
      groupByMessage: false,
    },
    {
      name: "Response shape: schema, status codes, headers",
      matchers: [
        { statuses: failed, message: ids("RSP-0[1-4]", "CMD-0[345]", "HDR-01") },
        { statuses: failed, message: codes("ST10[2-9]", "ST11[01]") },
      ],
      groupByMessage: false,
    },
    {
      name: "Response time (profile)",
      matchers: [
        { statuses: failed, message: ids("RSP-05") },
        { statuses: failed, message: codes("ST112") },
      ],
      groupByMessage: false,
    },
    {
      name: "Other conformance failures",
      matchers: { statuses: failed },
      groupByMessage: false,
    },
    {
      // Skips are never passes: each says why the requirement could not be exercised.
      // `allure_extras.verdict_of` starts each skipped test's message with its kind.
      name: "Not covered by this run",
      matchers: { statuses: ["skipped"], message: /^not covered:/ },
    },
    {
      name: "Disabled by configuration",
      matchers: { statuses: ["skipped"], message: /^disabled:/ },
    },
  ],
};
