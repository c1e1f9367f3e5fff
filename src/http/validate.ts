/**
 * zod validation for Hono routes: `validate(target, schema)` is `@hono/zod-validator` with a
 * hook that turns a failure into a `bad_request` MagpieError listing the bad fields.
 */
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { MagpieError } from "../core/errors.ts";

/** Validates `target` (json, query, param, header) with `schema`; failures answer 400 `bad_request`. */
export function validate<T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) {
  return zValidator(target, schema, (result) => {
    if (!result.success) {
      const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
      throw new MagpieError("bad_request", `invalid ${target}: ${issues.map((i) => `${i.path || "(root)"} ${i.message}`).join("; ")}`, { issues });
    }
  });
}
