/**
 * Chinese registry codes that identify enterprises and places:
 * - 统一社会信用代码 (unified social credit code), GB 32100-2015: 18 characters, last is a check character;
 * - administrative division code, GB/T 2260: 6 digits (province 2, city 2, county 2);
 * - industry classification, GB/T 4754-2017: a section letter A–T and an optional 2–4 digit class.
 */

const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY' // 31 characters: no I, O, S, V, Z
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const

/** The check character for the first 17 characters of a unified social credit code, or null if they are not valid. */
export function usccCheckChar(first17: string): string | null {
  if (first17.length !== 17) return null
  let sum = 0
  for (let i = 0; i < 17; i++) {
    const v = USCC_CHARSET.indexOf(first17[i] ?? '')
    if (v < 0) return null
    sum += v * (USCC_WEIGHTS[i] ?? 0)
  }
  const c = (31 - (sum % 31)) % 31
  return USCC_CHARSET[c] ?? null
}

export type UsccProblem = 'length' | 'charset' | 'check' | 'region'

/** Why a unified social credit code is invalid, or null if it is valid. */
export function usccProblem(code: string): UsccProblem | null {
  if (code.length !== 18) return 'length'
  for (const ch of code) if (!USCC_CHARSET.includes(ch)) return 'charset'
  // characters 3–8 are the registering authority's GB/T 2260 division code
  if (!/^\d{6}$/.test(code.slice(2, 8)) || !isRegionCode(code.slice(2, 8))) return 'region'
  if (usccCheckChar(code.slice(0, 17)) !== code[17]) return 'check'
  return null
}

export function isValidUscc(code: string): boolean {
  return usccProblem(code) === null
}

/** GB/T 2260 province-level prefixes (first two digits). */
export const PROVINCE_PREFIXES: Readonly<Record<string, string>> = {
  '11': '北京市',
  '12': '天津市',
  '13': '河北省',
  '14': '山西省',
  '15': '内蒙古自治区',
  '21': '辽宁省',
  '22': '吉林省',
  '23': '黑龙江省',
  '31': '上海市',
  '32': '江苏省',
  '33': '浙江省',
  '34': '安徽省',
  '35': '福建省',
  '36': '江西省',
  '37': '山东省',
  '41': '河南省',
  '42': '湖北省',
  '43': '湖南省',
  '44': '广东省',
  '45': '广西壮族自治区',
  '46': '海南省',
  '50': '重庆市',
  '51': '四川省',
  '52': '贵州省',
  '53': '云南省',
  '54': '西藏自治区',
  '61': '陕西省',
  '62': '甘肃省',
  '63': '青海省',
  '64': '宁夏回族自治区',
  '65': '新疆维吾尔自治区',
  '71': '台湾省',
  '81': '香港特别行政区',
  '82': '澳门特别行政区',
}

/** A six-digit GB/T 2260 code whose province prefix exists. */
export function isRegionCode(code: string): boolean {
  return /^\d{6}$/.test(code) && code.slice(0, 2) in PROVINCE_PREFIXES
}

export type RegionLevel = 'province' | 'city' | 'county'

/** 440000 is a province, 440600 a city (Foshan), 440604 a county-level district (Chancheng). */
export function regionLevel(code: string): RegionLevel {
  if (code.endsWith('0000')) return 'province'
  if (code.endsWith('00')) return 'city'
  return 'county'
}

/** True if `code` lies inside `region` (a province contains its cities, a city its counties). */
export function regionContains(region: string, code: string): boolean {
  const level = regionLevel(region)
  if (level === 'province') return code.slice(0, 2) === region.slice(0, 2)
  if (level === 'city') return code.slice(0, 4) === region.slice(0, 4)
  return code === region
}

/** GB/T 4754-2017: section letter A–T, optionally followed by a 2-, 3- or 4-digit division / group / class. */
export function isIndustryCode(code: string): boolean {
  return /^[A-T](\d{2}|\d{3}|\d{4})?$/.test(code)
}
