import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { githubAnnotation } from "./github-annotations.js";

void suite("githubAnnotation", () => {
  void test("names file, line, column and title, escaping what the runner would misread", () => {
    assert.equal(
      githubAnnotation(
        "error",
        { file: "a,b:c.json", line: 3, column: 7 },
        "TYPE_NARROWED",
        "50% less\nof it",
      ),
      "::error file=a%2Cb%3Ac.json,line=3,col=7,title=TYPE_NARROWED::50%25 less%0Aof it",
    );
  });

  void test("leaves out a location it does not have", () => {
    assert.equal(
      githubAnnotation("notice", undefined, "SCHEMA_REMOVED", "gone"),
      "::notice title=SCHEMA_REMOVED::gone",
    );
  });
});
