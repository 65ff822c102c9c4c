# (filled in by the Mx work)
