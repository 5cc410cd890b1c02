"""The TSAR machine: clusters of Unicorn MIPS32 cores over a 40-bit physical space."""
