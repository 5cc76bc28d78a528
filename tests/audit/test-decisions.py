#!/usr/bin/env python3
"""A decision for a warn verdict that an earlier host process gave (the browser
restarted the host, or the user answered after it stopped and the extension queued the
answer) is recorded: once per verdict, with the justification the verdict asked for;
unknown ids, verdicts that are not warn and second decisions are still refused.
Through the real weir-host over pipes and the weir CLI.

usage: test-decisions.py BUILD_DIR"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weirtest import Home  # noqa: E402

BUILD = sys.argv.pop(1) if len(sys.argv) > 1 else "build"
CARD = "Please charge 4111 1111 1111 1111 for the order"
HARMLESS = "nothing to see here, just words"


def paste(host, text):
    return host.ask({"type": "scan", "event": "paste", "origin": "https://chat.example",
                     "url": "https://chat.example/c/1", "text": text})


def decide(host, audit, action="proceed", justification=None):
    request = {"type": "decision", "audit": audit, "action": action}
    if justification is not None:
        request["justification"] = justification
    return host.ask(request)


class DecisionsAcrossHosts(unittest.TestCase):
    def setUp(self):
        self.home = Home(BUILD)

    def records(self):
        out = self.home.weir("audit", "export").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def test_decision_for_an_earlier_hosts_verdicts(self):
        first = self.home.host()
        warned = [paste(first, CARD), paste(first, CARD + " again")]
        allowed = paste(first, HARMLESS)
        first.close()
        self.assertEqual([w["verdict"] for w in warned], ["warn", "warn"])
        self.assertTrue(warned[0]["justification"], "the default policy asks a justification")
        self.assertEqual(allowed["verdict"], "allow")

        second = self.home.host()
        # The justification the earlier verdict asked for is still asked for.
        reply = decide(second, warned[0]["audit"])
        self.assertEqual(reply["type"], "error", reply)
        self.assertEqual(reply["error"]["code"], "bad_request", reply)
        self.assertEqual(decide(second, warned[0]["audit"], justification="refund for a customer")["type"], "ack")
        self.assertEqual(decide(second, warned[1]["audit"], action="cancel")["type"], "ack")
        # One decision per verdict; unknown ids and allow verdicts are refused.
        for audit in (warned[0]["audit"], warned[1]["audit"], allowed["audit"], "feedfeedfeedfeedfeedfeed"):
            reply = decide(second, audit, justification="again")
            self.assertEqual(reply["type"], "error", (audit, reply))
            self.assertEqual(reply["error"]["code"], "not_found", (audit, reply))
        second.close()

        # A third host refuses the second decision too: the store knows.
        third = self.home.host()
        reply = decide(third, warned[0]["audit"], action="cancel")
        self.assertEqual(reply["error"]["code"], "not_found", reply)
        # Its own warn verdict works as before.
        own = paste(third, CARD)
        self.assertEqual(decide(third, own["audit"], justification="ok")["type"], "ack")
        third.close()

        decisions = [r for r in self.records() if r["event"] == "decision"]
        self.assertEqual([(d["ref"], d["action"]) for d in decisions],
                         [(warned[0]["audit"], "proceed"), (warned[1]["audit"], "cancel"),
                          (own["audit"], "proceed")])
        self.assertEqual(decisions[0]["justification"], "refund for a customer")
        verdicts = {r["id"]: r for r in self.records() if r["event"] == "verdict"}
        self.assertTrue(verdicts[warned[0]["audit"]]["justification_required"])
        self.assertNotIn("justification_required", verdicts[allowed["audit"]])
        self.assertTrue(self.home.weir("audit", "verify").stdout.startswith("ok: "))


if __name__ == "__main__":
    unittest.main(verbosity=2)
