"""Settlement: withdrawals from L2 to L1 and the output roots they are proved against."""
