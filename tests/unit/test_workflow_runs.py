# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""Run states and transitions, retries with backoff, idempotency keys, ports."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from form_engine.messages import register_messages
from workflow_engine.errors import RunError, WorkflowError
from workflow_engine.ports import Executor, Scheduler
from workflow_engine.runs import (
    MAX_CHAIN_DEPTH,
    TERMINAL,
    RetryPolicy,
    RunStatus,
    StepFailure,
    StepStatus,
    can_transition,
    check_transition,
    idempotency_key,
    status_label,
)

ALLOWED = {
    ("pending", "running"),
    ("pending", "cancelled"),
    ("pending", "skipped"),
    ("running", "running"),
    ("running", "succeeded"),
    ("running", "failed"),
    ("running", "waiting"),
    ("running", "retrying"),
    ("waiting", "running"),
    ("waiting", "cancelled"),
    ("retrying", "running"),
    ("retrying", "cancelled"),
    ("failed", "pending"),
}
PAIRS = [(a.value, b.value) for a in RunStatus for b in RunStatus]


@pytest.mark.parametrize(("current", "new"), PAIRS)
def test_transition_table(current: str, new: str) -> None:
    allowed = (current, new) in ALLOWED
    assert can_transition(current, new) is allowed
    if allowed:
        check_transition(current, new)
    else:
        with pytest.raises(RunError) as caught:
            check_transition(current, new)
        assert caught.value.code == "run_bad_transition"
        assert isinstance(caught.value, WorkflowError)


def test_terminal_states_lead_nowhere_but_failed_can_be_retried_by_hand() -> None:
    assert {s.value for s in TERMINAL} == {"succeeded", "failed", "cancelled", "skipped"}
    for status in TERMINAL - {RunStatus.FAILED}:
        assert not any(can_transition(status, new) for new in RunStatus)
    assert [new for new in RunStatus if can_transition("failed", new)] == [RunStatus.PENDING]


def test_unknown_statuses_are_refused() -> None:
    assert not can_transition("pending", "done")
    with pytest.raises(RunError) as caught:
        check_transition("pending", "done")
    assert caught.value.code == "run_unknown_status"
    assert caught.value.message_in("zh-CN") == "“done”不是有效的运行状态。"


def test_a_bad_transition_names_both_states_in_both_languages() -> None:
    with pytest.raises(RunError) as caught:
        check_transition("succeeded", "running")
    assert caught.value.message_in("en") == "A run cannot go from “succeeded” to “running”."
    assert caught.value.message_in("zh-CN") == "运行状态不能从“成功”变为“执行中”。"


def test_statuses_are_strings_with_labels() -> None:
    assert RunStatus.WAITING == "waiting" and f"{RunStatus.RETRYING}" == "retrying"
    assert [s.value for s in StepStatus] == [
        "pending",
        "running",
        "succeeded",
        "failed",
        "skipped",
        "cancelled",
    ]
    assert status_label("waiting", "en") == "waiting"
    assert status_label("waiting", "zh-CN") == "等待中"
    assert status_label("mystery", "zh-CN") == "mystery"


# -- retries ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("attempt", "delay"),
    [
        (1, 10.0),
        (2, 20.0),
        (3, 40.0),
        (4, 80.0),
        (5, 160.0),
        (9, 2560.0),
        (10, 3600.0),
        (5000, 3600.0),
    ],
)
def test_backoff_doubles_from_ten_seconds_up_to_an_hour(attempt: int, delay: float) -> None:
    assert RetryPolicy().delay(attempt) == delay


def test_backoff_follows_its_settings() -> None:
    policy = RetryPolicy(max_attempts=3, base_seconds=1.5, factor=3.0, max_seconds=10.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [1.5, 4.5, 10.0, 10.0]
    assert RetryPolicy(factor=1e308).delay(3) == 3600.0
    with pytest.raises(ValueError, match="from 1"):
        policy.delay(0)


@pytest.mark.parametrize(
    ("attempt", "retryable", "expected"),
    [(1, True, True), (4, True, True), (5, True, False), (6, True, False), (1, False, False)],
)
def test_should_retry_stops_after_five_attempts_or_a_permanent_failure(
    attempt: int, retryable: bool, expected: bool
) -> None:
    assert RetryPolicy().should_retry(attempt, retryable=retryable) is expected


def test_idempotency_keys_are_stable_per_run_and_step() -> None:
    assert idempotency_key(12, 3) == "run-12-step-3"
    assert idempotency_key(12, 3) == idempotency_key(12, 3) != idempotency_key(12, 4)
    assert MAX_CHAIN_DEPTH == 5


# -- step failures ---------------------------------------------------------------------
register_messages(
    {
        "run_test_webhook_status": {
            "en": "The webhook answered {status}.",
            "zh-CN": "Webhook 返回了 {status}。",
        }
    }
)


def test_step_failures_carry_a_code_a_message_and_whether_to_retry() -> None:
    failure = StepFailure("run_test_webhook_status", retryable=False, status=400)
    assert isinstance(failure, WorkflowError)
    assert failure.retryable is False and failure.params == {"status": 400}
    assert failure.message_in("en") == "The webhook answered 400."
    assert failure.message_in("zh-CN") == "Webhook 返回了 400。"
    assert str(failure) == "The webhook answered 400."
    assert StepFailure("run_test_webhook_status", status=503).retryable is True


def test_a_step_failure_with_an_unregistered_code_still_has_a_message() -> None:
    failure = StepFailure("smtp_down", detail="connection refused")
    assert failure.message_in("en") == "The step failed: connection refused"
    assert failure.message_in("zh-CN") == "步骤执行失败：connection refused"
    assert StepFailure("smtp_down").message_in("en") == "The step failed: smtp_down"


def test_chain_and_give_up_messages_exist_for_the_run_log() -> None:
    from form_engine.messages import render

    assert "5" in render("run_chain_too_deep", "en", max=MAX_CHAIN_DEPTH)
    assert "执行日志" in render("run_gave_up", "zh-CN", attempts=5)


# -- ports -----------------------------------------------------------------------------
class InlineExecutor:
    name = "inline"

    def __init__(self) -> None:
        self.submitted: list[int] = []
        self.woken = 0

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def submit(self, run_ids: Sequence[int]) -> None:
        self.submitted.extend(run_ids)

    def wake(self) -> None:
        self.woken += 1


class LockedScheduler:
    def __init__(self) -> None:
        self._leader = False

    def start(self) -> None:
        self._leader = True

    def stop(self) -> None:
        self._leader = False

    @property
    def is_leader(self) -> bool:
        return self._leader


def test_hosts_implement_the_ports_structurally() -> None:
    executor: Executor = InlineExecutor()
    scheduler: Scheduler = LockedScheduler()
    assert isinstance(executor, Executor) and isinstance(scheduler, Scheduler)
    assert not isinstance(LockedScheduler(), Executor)
    executor.submit([1, 2])
    scheduler.start()
    assert scheduler.is_leader
