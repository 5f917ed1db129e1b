// What the browser crate wraps guard.js in (`guard.rs`): a function of these two, for the type
// check (`web/jsconfig.guard.json`).

/** The tables of `policy::masking::guard_rules` and `policy::blocking::guard_block_rules`. */
declare const RULES: { mask: any; block: any };
/** The company's rules (`policy::rules::guard_company_rules`). */
declare const COMPANY: { kind: "mask" | "block"; selector: string; pages: any }[];
