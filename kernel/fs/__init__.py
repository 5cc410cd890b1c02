"""File systems: the VFS layer and FAT32."""
