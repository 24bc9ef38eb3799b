import { useEffect, useState } from "react"

/** Light, dark or the system's choice; the choice (not a secret) is kept in localStorage. */
export type Theme = "light" | "dark" | "system"

const key = "opensync.theme"

const apply = (theme: Theme) => {
  const dark = theme === "dark" || (theme === "system" && matchMedia("(prefers-color-scheme: dark)").matches)
  document.documentElement.dataset.theme = dark ? "dark" : "light"
}

export const useTheme = (): [Theme, (theme: Theme) => void] => {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem(key) as Theme | null) ?? "system")
  useEffect(() => {
    apply(theme)
    localStorage.setItem(key, theme)
    if (theme !== "system") return
    const media = matchMedia("(prefers-color-scheme: dark)")
    const onChange = () => apply("system")
    media.addEventListener("change", onChange)
    return () => media.removeEventListener("change", onChange)
  }, [theme])
  return [theme, setTheme]
}
