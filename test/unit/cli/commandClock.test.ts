import assert from 'node:assert/strict';
import { COMMAND_START_VARIABLE, commandStartedAt } from '../../../src/cli/commandClock';

describe('commandStartedAt: the command start a report times --max-seconds from', () => {
  const own = 1_800_000_000_000;
  const env = (v?: string): NodeJS.ProcessEnv => (v === undefined ? {} : { [COMMAND_START_VARIABLE]: v });

  it("is the first process's start, handed down, where it is shortly before this process's", () => {
    assert.equal(commandStartedAt(env(String(own - 650)), own), own - 650);
    assert.equal(commandStartedAt(env(String(own)), own), own);
  });

  it("is this process's own start without one, or with one that cannot be this command's", () => {
    for (const v of [undefined, '', ' ', 'soon', 'NaN', 'Infinity', String(own + 1), String(own - 61_000), '-1'])
      assert.equal(commandStartedAt(env(v), own), own, `${COMMAND_START_VARIABLE}=${v}`);
  });
});
