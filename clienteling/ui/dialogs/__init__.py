"""Dialogs for the less common paths: issue, redeem an amount, manager override, …"""
