"""taizhang: the work-ledger platform (工作台账平台)."""
