/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The VMware "Precision Clock" device as the guest's ACPI tables announce it:
 * one device under \_SB with _HID "VMW0005", always present.
 * Compiled with iasl and handed to QEMU with -acpitable.
 */
DefinitionBlock ("", "SSDT", 2, "PTPVMW", "PCLK", 1)
{
    Scope (\_SB)
    {
        Device (PCLK)
        {
            Name (_HID, "VMW0005")
            Name (_UID, Zero)
            Method (_STA, 0, NotSerialized)
            {
                Return (0x0F)
            }
        }
    }
}
