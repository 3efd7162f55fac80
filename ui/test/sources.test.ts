import { describe, expect, it } from "vitest";
import { addSourceArgs, importSourceArgs, keyCells, missingSourceField, optionalText } from "../src/sources";

describe("optionalText", () => {
  it.each([
    ["", null],
    ["   ", null],
    [" eu-west-1 ", "eu-west-1"],
  ])("%j → %j", (raw, expected) => {
    expect(optionalText(raw)).toBe(expected);
  });
});

describe("missingSourceField", () => {
  it.each([
    [{ name: "", accessKeyId: "AKIA1" }, true, "name"],
    [{ name: " ", accessKeyId: "AKIA1" }, true, "name"],
    [{ name: "work", accessKeyId: "" }, true, "accessKeyId"],
    [{ name: "work", accessKeyId: "AKIA1" }, false, "secret"],
    [{ name: "work", accessKeyId: "AKIA1" }, true, null],
  ] as const)("%j, secret given %j → %j", (fields, secretGiven, field) => {
    expect(missingSourceField(fields, secretGiven)?.field ?? null).toBe(field);
  });
});

describe("addSourceArgs", () => {
  it.each([
    [
      { name: " work ", accessKeyId: " AKIAEXAMPLE ", mfaSerial: "", region: "" },
      { name: "work", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "s3cr3t", mfaSerial: null, region: null },
    ],
    [
      { name: "work", accessKeyId: "AKIAEXAMPLE", mfaSerial: "arn:aws:iam::1:mfa/a", region: "eu-west-1" },
      { name: "work", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "s3cr3t", mfaSerial: "arn:aws:iam::1:mfa/a", region: "eu-west-1" },
    ],
  ])("case %#", (fields, expected) => {
    expect(addSourceArgs(fields, "s3cr3t")).toEqual(expected);
  });
});

describe("importSourceArgs", () => {
  it.each([
    ["default", "", { profile: "default", asName: null }],
    ["default", " old ", { profile: "default", asName: "old" }],
  ])("%j as %j → %j", (profile, asName, expected) => {
    expect(importSourceArgs(profile, asName)).toEqual(expected);
  });
});

describe("keyCells", () => {
  it.each([
    [null, ["—", "—", "—"]],
    [undefined, ["—", "—", "—"]],
    [{ id: "AKIA…2345", age: "12 days", age_days: 12, due: false, last_used: "never", checked: "1 min ago" }, ["AKIA…2345", "12 days", "never"]],
    [{ id: "AKIA…2345", age: "97 days", age_days: 97, due: true, last_used: null, checked: null }, ["AKIA…2345", "97 days · rotate", "—"]],
    [{ id: "AKIA…2345", age: null, age_days: null, due: false, last_used: null, checked: null }, ["AKIA…2345", "—", "—"]],
  ])("%#", (key, cells) => {
    expect(keyCells(key)).toEqual(cells);
  });
});
