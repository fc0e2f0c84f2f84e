#!/usr/bin/env bash
# Formats the Swift sources in place, then lints them (no force-unwrap, no force-try, ordered imports).
# `scripts/format.sh --check` only lints, for review.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--check" ]; then
    swift format format --in-place --recursive --parallel Sources Tests Package.swift
fi
swift format lint --recursive --parallel Sources Tests
