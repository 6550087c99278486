"""Bedside Stories: short, true, uplifting stories from healthcare, on Discord."""
