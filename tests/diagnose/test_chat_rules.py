"""Conversation rules on small synthetic chats: each points at the message its evidence names."""

from __future__ import annotations

from tracegraph.diagnose.chat import ChatConfig, chat_facts, diagnose_chat, fire_chat, is_chat
from tracegraph.diagnose.heuristic import diagnose_trace
from tracegraph.ingest.builder import TraceBuilder
from tracegraph.schema import Outcome, RunTrace

ALL_ON = ChatConfig(answer_origin=1, answer_completion=1, unfounded_assumption=1, judged_unproductive=1,
                    repeated_message=1)


def chat(task: str, messages: list[tuple[str, str, str]]) -> RunTrace:
    """A failed conversation run: (agent, message, what a tool returned for it) per step."""
    builder = TraceBuilder(framework="chat", source="synthetic", name="chat", content_hash="0")
    for agent, text, result in messages:
        builder.add_step(agent, {}, action=text, observation=result, role=agent, effects=[])
    builder.set(task_text=task, outcome=Outcome.failed)
    return builder.build()


def fired(trace: RunTrace) -> dict[str, int]:
    return {f.rule: f.k for f in fire_chat(chat_facts(trace), ALL_ON)}


def test_the_answer_rules_trace_the_final_values_back():
    trace = chat("Which house sold for more, 12 Oak Road or 7 Elm Street?", [
        ("Planner", "Let us collect the sale prices of both houses.", ""),
        ("Broker", "12 Oak Road sold for $850,000.", ""),
        ("Broker", "7 Elm Street sold for $910,000.", ""),
        ("Checker", "Comparing 850000 and 910000: 7 Elm Street sold for more, at 910000.", ""),
        ("Checker", "TERMINATE", ""),
    ])
    facts = chat_facts(trace)
    # The task's own numbers (12, 7) are no answer values; TERMINATE is no answer.
    assert facts.answer_step == 4 and facts.answer_values == {("number", "850000"), ("number", "910000")}
    got = fired(trace)
    assert got["answer_origin"] == 2 and got["answer_completion"] == 3


def test_a_value_a_tool_printed_belongs_to_the_message_that_ran_it():
    trace = chat("How many revisions did the page have?", [
        ("Analyst", "I will count them with a script.", "exitcode: 0\nrevisions: 0"),
        ("Verifier", "Zero is improbable; here is a corrected script.", "exitcode: 0\nrevisions: 610"),
        ("Verifier", "The page had **610** revisions.", ""),
    ])
    assert fired(trace)["answer_completion"] == 2


def test_assumption_language_in_a_message_not_in_a_tool_result():
    trace = chat("What is the mean of the numbers in the image?", [
        ("Reader", "I will read the image.", "simulated annealing docs"),
        ("Reader", "The reader timed out. Let's assume the numbers are 1, 2 and 3.", ""),
    ])
    assert fired(trace)["unfounded_assumption"] == 2


def test_a_judgement_blames_the_message_before_it_by_another_agent():
    trace = chat("Find the address.", [
        ("Lead", "Please search for the address.", ""),
        ("Surfer", "I clicked a link about microscopes.", ""),
        ("Lead", '{"is_progress_being_made": {"reason": "an unrelated page", "answer": false}}', ""),
    ])
    assert fired(trace)["judged_unproductive"] == 2
    # A ledger's reasons say "not in a loop" as often as "in a loop": only its answers are read.
    calm = chat("Find the address.", [
        ("Lead", "Please search for the address.", ""),
        ("Surfer", "I found the listing.", ""),
        ("Lead", '{"is_in_loop": {"reason": "We are not in a loop.", "answer": false}}', ""),
    ])
    assert "judged_unproductive" not in fired(calm)


def test_a_repeat_of_the_same_agent_marks_the_circle():
    page = "I scrolled down one page. The archive lists entries from 2024 March and April, none from 2015. " * 2
    trace = chat("Find the 2015 entry.", [
        ("Surfer", page, ""), ("Lead", "Keep looking for the 2015 entry please, scroll further down.", ""),
        ("Surfer", page.replace("one page", "one more page"), ""),
    ])
    assert fired(trace)["repeated_message"] == 3


def test_the_onset_is_the_best_weighted_step_else_the_fallback():
    trace = chat("Which house sold for more, 12 Oak Road or 7 Elm Street?", [
        ("Planner", "Let us collect the sale prices.", ""),
        ("Broker", "12 Oak Road sold for $850,000 and 7 Elm Street for $910,000.", ""),
        ("Checker", "7 Elm Street sold for more, at 910000.", ""),
    ])
    result = diagnose_chat(trace, ChatConfig(answer_completion=1.0))
    assert result.onset_k == 2 and result.chain_ks == [2, 3] and result.evidence
    # No rule weighted: "always step k", clipped to the run's length.
    assert diagnose_chat(trace, ChatConfig(answer_completion=0.0, fallback_step=9)).onset_k == 3


def test_the_heuristic_hands_conversations_to_the_chat_rules_only():
    trace = chat("Which house sold for more, 12 Oak Road or 7 Elm Street?", [
        ("Planner", "Let us collect the sale prices.", ""),
        ("Broker", "12 Oak Road sold for $850,000 and 7 Elm Street for $910,000.", ""),
        ("Checker", "7 Elm Street sold for more, at 910000.", ""),
    ])
    assert is_chat(trace) and diagnose_trace(trace).onset_k == 2
    tools = TraceBuilder(framework="x", source="synthetic", name="tools", content_hash="1")
    tools.add_step("bash", {"command": "ls"}, observation="a.py")
    assert not is_chat(tools.build())
