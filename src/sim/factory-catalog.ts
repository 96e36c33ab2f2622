import { usccCheckChar } from '../core/index.ts'
import type {
  AreaSpec,
  CellSpec,
  EnergyMedium,
  EnterpriseSpec,
  EquipmentKind,
  EquipmentSpec,
  LineSpec,
  PointSpec,
  Protocol,
  SiteSpec,
} from './factory-types.ts'
import { CALENDARS } from './shift-calendar.ts'

/**
 * The virtual factory's three enterprises (fictional names and codes; any likeness to a real firm is
 * accidental). Pure data: the same on every run, independent of the seed — the seed only drives behaviour.
 */

/** GB 11714-1997 organisation code check character over 8 characters (digits and capital letters). */
export function orgCodeCheckChar(first8: string): string {
  const weights = [3, 7, 9, 10, 5, 8, 4, 2]
  let sum = 0
  for (let i = 0; i < 8; i++) {
    const ch = first8[i] ?? '0'
    const v = ch >= '0' && ch <= '9' ? ch.charCodeAt(0) - 48 : ch.charCodeAt(0) - 55
    sum += v * (weights[i] ?? 0)
  }
  const c = 11 - (sum % 11)
  return c === 10 ? 'X' : c === 11 ? '0' : String(c)
}

/** 统一社会信用代码: 9 (market regulator) 1 (enterprise) + region + organisation code + check character. */
export function makeUscc(regionCode: string, orgBody8: string): string {
  const first17 = `91${regionCode}${orgBody8}${orgCodeCheckChar(orgBody8)}`
  const check = usccCheckChar(first17)
  if (check === null) throw new Error(`cannot build a USCC from ${first17}`)
  return first17 + check
}

type PointTemplate = Omit<PointSpec, 'protocol'>

const S = 1000
const P = {
  state: {
    key: 'state',
    name: 'State',
    nameZh: '设备状态',
    unit: '',
    dataType: 'int32',
    kind: 'state',
    samplePeriodMs: 60 * S,
    range: [0, 4],
  },
  partsGood: {
    key: 'partsGood',
    name: 'Good parts',
    nameZh: '合格品数',
    unit: '{pcs}',
    dataType: 'int64',
    kind: 'counter',
    samplePeriodMs: 60 * S,
  },
  partsScrap: {
    key: 'partsScrap',
    name: 'Scrap parts',
    nameZh: '废品数',
    unit: '{pcs}',
    dataType: 'int64',
    kind: 'counter',
    samplePeriodMs: 60 * S,
  },
  cycleTime: {
    key: 'cycleTime',
    name: 'Cycle time',
    nameZh: '生产节拍',
    unit: 's',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 60 * S,
    range: [1, 600],
  },
  program: {
    key: 'program',
    name: 'Program',
    nameZh: '加工程序',
    unit: '',
    dataType: 'string',
    kind: 'text',
    samplePeriodMs: 300 * S,
  },
  spindleSpeed: {
    key: 'spindleSpeed',
    name: 'Spindle speed',
    nameZh: '主轴转速',
    unit: 'r/min',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 10 * S,
    range: [0, 15000],
  },
  spindleTemp: {
    key: 'spindleTemp',
    name: 'Spindle temperature',
    nameZh: '主轴温度',
    unit: 'Cel',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 30 * S,
    range: [10, 90],
  },
  vibrationRms: {
    key: 'vibrationRms',
    name: 'Vibration velocity RMS',
    nameZh: '振动速度有效值',
    unit: 'mm/s',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 10 * S,
    range: [0, 25],
  },
  motorCurrent: {
    key: 'motorCurrent',
    name: 'Motor current',
    nameZh: '电机电流',
    unit: 'A',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 10 * S,
    range: [0, 400],
  },
  hydraulicPressure: {
    key: 'hydraulicPressure',
    name: 'Hydraulic pressure',
    nameZh: '液压压力',
    unit: 'bar',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 10 * S,
    range: [0, 250],
  },
  barrelTemp: {
    key: 'barrelTemp',
    name: 'Barrel temperature',
    nameZh: '料筒温度',
    unit: 'Cel',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 30 * S,
    range: [15, 320],
  },
  mouldTemp: {
    key: 'mouldTemp',
    name: 'Mould temperature',
    nameZh: '模具温度',
    unit: 'Cel',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 30 * S,
    range: [15, 120],
  },
  dieTemp: {
    key: 'dieTemp',
    name: 'Die temperature',
    nameZh: '模具温度',
    unit: 'Cel',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 30 * S,
    range: [15, 350],
  },
  meltTemp: {
    key: 'meltTemp',
    name: 'Melt temperature',
    nameZh: '铝液温度',
    unit: 'Cel',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 30 * S,
    range: [600, 750],
  },
  cycles: {
    key: 'cycles',
    name: 'Cycles',
    nameZh: '循环次数',
    unit: '{cycles}',
    dataType: 'int64',
    kind: 'counter',
    samplePeriodMs: 60 * S,
  },
  jointTemp: {
    key: 'jointTemp',
    name: 'Axis 2 motor temperature',
    nameZh: '2轴电机温度',
    unit: 'Cel',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 30 * S,
    range: [10, 90],
  },
  speed: {
    key: 'speed',
    name: 'Belt speed',
    nameZh: '线速度',
    unit: 'm/min',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 10 * S,
    range: [0, 20],
  },
  dischargePressure: {
    key: 'dischargePressure',
    name: 'Discharge pressure',
    nameZh: '排气压力',
    unit: 'bar',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 10 * S,
    range: [0, 10],
  },
  dischargeTemp: {
    key: 'dischargeTemp',
    name: 'Discharge temperature',
    nameZh: '排气温度',
    unit: 'Cel',
    dataType: 'float32',
    kind: 'analog',
    samplePeriodMs: 30 * S,
    range: [10, 110],
  },
  runHours: {
    key: 'runHours',
    name: 'Running hours',
    nameZh: '累计运行时间',
    unit: 'h',
    dataType: 'float64',
    kind: 'counter',
    samplePeriodMs: 300 * S,
  },
} as const satisfies Record<string, PointTemplate>

const METER_POINTS: Readonly<Record<EnergyMedium, readonly [PointTemplate, PointTemplate]>> = {
  electricity: [
    {
      key: 'energy',
      name: 'Active energy import',
      nameZh: '正向有功电能',
      unit: 'kW.h',
      dataType: 'float64',
      kind: 'counter',
      samplePeriodMs: 60 * S,
    },
    {
      key: 'power',
      name: 'Active power',
      nameZh: '有功功率',
      unit: 'kW',
      dataType: 'float32',
      kind: 'analog',
      samplePeriodMs: 10 * S,
      range: [0, 5000],
    },
  ],
  'natural-gas': [
    {
      key: 'volume',
      name: 'Gas volume',
      nameZh: '天然气累计用量',
      unit: 'm3',
      dataType: 'float64',
      kind: 'counter',
      samplePeriodMs: 60 * S,
    },
    {
      key: 'flow',
      name: 'Gas flow',
      nameZh: '天然气瞬时流量',
      unit: 'm3/h',
      dataType: 'float32',
      kind: 'analog',
      samplePeriodMs: 10 * S,
      range: [0, 500],
    },
  ],
  water: [
    {
      key: 'volume',
      name: 'Water volume',
      nameZh: '累计用水量',
      unit: 'm3',
      dataType: 'float64',
      kind: 'counter',
      samplePeriodMs: 60 * S,
    },
    {
      key: 'flow',
      name: 'Water flow',
      nameZh: '瞬时流量',
      unit: 'm3/h',
      dataType: 'float32',
      kind: 'analog',
      samplePeriodMs: 10 * S,
      range: [0, 100],
    },
  ],
  steam: [
    {
      key: 'mass',
      name: 'Steam mass',
      nameZh: '蒸汽累计用量',
      unit: 't',
      dataType: 'float64',
      kind: 'counter',
      samplePeriodMs: 60 * S,
    },
    {
      key: 'flow',
      name: 'Steam flow',
      nameZh: '蒸汽瞬时流量',
      unit: 't/h',
      dataType: 'float32',
      kind: 'analog',
      samplePeriodMs: 10 * S,
      range: [0, 20],
    },
  ],
}

const KIND_POINTS: Readonly<
  Record<Exclude<EquipmentKind, 'energy-meter' | 'machine-tool'>, readonly PointTemplate[]>
> = {
  'cnc-machining-centre': [
    P.state,
    P.partsGood,
    P.partsScrap,
    P.cycleTime,
    P.program,
    P.spindleSpeed,
    P.spindleTemp,
    P.vibrationRms,
    P.motorCurrent,
  ],
  'injection-moulding-machine': [
    P.state,
    P.partsGood,
    P.partsScrap,
    P.cycleTime,
    P.program,
    P.hydraulicPressure,
    P.barrelTemp,
    P.mouldTemp,
    P.vibrationRms,
    P.motorCurrent,
  ],
  'die-casting-machine': [
    P.state,
    P.partsGood,
    P.partsScrap,
    P.cycleTime,
    P.program,
    P.hydraulicPressure,
    P.dieTemp,
    P.meltTemp,
    P.vibrationRms,
    P.motorCurrent,
  ],
  'industrial-robot': [P.state, P.cycles, P.motorCurrent, P.vibrationRms, P.jointTemp],
  conveyor: [P.state, P.speed, P.motorCurrent, P.vibrationRms],
  'air-compressor': [
    P.state,
    P.dischargePressure,
    P.dischargeTemp,
    P.motorCurrent,
    P.vibrationRms,
    P.runHours,
  ],
}

interface EquipmentOpts {
  readonly key: string
  readonly name: string
  readonly nameZh: string
  readonly model: string
  readonly manufacturer: string
  readonly protocol: Protocol | null
  readonly ratedPowerKw: number
  readonly keyProcess?: boolean
  readonly follows?: string
}

function equipment(kind: Exclude<EquipmentKind, 'energy-meter'>, o: EquipmentOpts): EquipmentSpec {
  const networked = o.protocol !== null
  const templates = kind === 'machine-tool' || !networked ? [] : KIND_POINTS[kind]
  const protocol = o.protocol
  return {
    key: o.key,
    name: o.name,
    nameZh: o.nameZh,
    kind,
    model: o.model,
    manufacturer: o.manufacturer,
    numericallyControlled: kind !== 'machine-tool' && kind !== 'conveyor' && kind !== 'air-compressor',
    keyProcess: o.keyProcess ?? false,
    networked,
    protocol,
    ratedPowerKw: o.ratedPowerKw,
    ...(o.follows === undefined ? {} : { follows: o.follows }),
    points: protocol === null ? [] : templates.map((t) => ({ ...t, protocol })),
  }
}

function meter(
  key: string,
  medium: EnergyMedium,
  nameZh: string,
  protocol: Protocol,
  measures: readonly string[],
): EquipmentSpec {
  const names: Record<EnergyMedium, [string, string]> = {
    electricity: ['Electricity meter', 'Acrel DTSD1352'],
    'natural-gas': ['Gas flow meter', 'Elster TRZ2'],
    water: ['Water meter', 'Kamstrup flowIQ 3100'],
    steam: ['Steam flow meter', 'Yokogawa DY vortex'],
  }
  const [name, model] = names[medium]
  return {
    key,
    name: `${name} ${key}`,
    nameZh,
    kind: 'energy-meter',
    model,
    manufacturer: model.split(' ')[0] ?? '',
    numericallyControlled: false,
    keyProcess: false,
    networked: true,
    protocol,
    ratedPowerKw: 0,
    medium,
    measures,
    points: METER_POINTS[medium].map((t) => ({ ...t, protocol })),
  }
}

const cell = (key: string, nameZh: string, eq: readonly EquipmentSpec[]): CellSpec => ({
  key,
  name: `Cell ${key}`,
  nameZh,
  equipment: eq,
})

function keysOf(...groups: readonly (LineSpec | AreaSpec)[]): string[] {
  const out: string[] = []
  for (const g of groups) {
    const lines = 'lines' in g ? g.lines : [g]
    for (const l of lines)
      for (const c of l.cells) for (const e of c.equipment) if (e.kind !== 'energy-meter') out.push(e.key)
  }
  return out
}

// ---------------------------------------------------------------- Foshan: aluminium die casting
function foshan(): EnterpriseSpec {
  const cnc = (key: string, follows?: string): EquipmentSpec =>
    equipment('cnc-machining-centre', {
      key,
      name: `Vertical machining centre ${key}`,
      nameZh: `立式加工中心 ${key}`,
      model: 'VMC850',
      manufacturer: 'Haitian Precision',
      protocol: 'sparkplug',
      ratedPowerKw: 18,
      keyProcess: true,
      ...(follows === undefined ? {} : { follows }),
    })
  const dc = (key: string, tonnage: number, power: number): EquipmentSpec =>
    equipment('die-casting-machine', {
      key,
      name: `Cold-chamber die-casting machine ${key} (${tonnage} t)`,
      nameZh: `${tonnage}吨冷室压铸机 ${key}`,
      model: `DCC${tonnage}`,
      manufacturer: 'LK Machinery',
      protocol: 'opcua',
      ratedPowerKw: power,
      keyProcess: true,
    })
  const robot = (key: string, follows: string): EquipmentSpec =>
    equipment('industrial-robot', {
      key,
      name: `Extraction robot ${key}`,
      nameZh: `取件机器人 ${key}`,
      model: 'IRB 6700',
      manufacturer: 'ABB',
      protocol: 'sparkplug',
      ratedPowerKw: 6,
      follows,
    })
  const dcL1: LineSpec = {
    key: 'DC-L1',
    name: 'Die-casting line 1',
    nameZh: '压铸一线',
    product: 'Gearbox housing (ADC12)',
    cells: [
      cell('DC-L1-C1', '压铸单元1', [dc('DC-01', 800, 75), robot('RB-01', 'DC-01')]),
      cell('DC-L1-C2', '压铸单元2', [dc('DC-02', 1250, 110), robot('RB-02', 'DC-02')]),
    ],
  }
  const dcL2: LineSpec = {
    key: 'DC-L2',
    name: 'Die-casting line 2',
    nameZh: '压铸二线',
    product: 'Motor end cover (ADC12)',
    cells: [cell('DC-L2-C1', '压铸单元3', [dc('DC-03', 400, 45), robot('RB-03', 'DC-03')])],
  }
  const mcL1: LineSpec = {
    key: 'MC-L1',
    name: 'Machining line 1',
    nameZh: '机加一线',
    product: 'Gearbox housing finishing',
    cells: [
      cell('MC-L1-C1', '加工单元1', [cnc('CNC-01'), cnc('CNC-02')]),
      cell('MC-L1-C2', '加工单元2', [
        cnc('CNC-03'),
        equipment('conveyor', {
          key: 'CV-01',
          name: 'Roller conveyor CV-01',
          nameZh: '辊道输送线 CV-01',
          model: 'RC-600',
          manufacturer: 'local',
          protocol: 'sparkplug',
          ratedPowerKw: 2.2,
          follows: 'CNC-03',
        }),
      ]),
      cell('MC-L1-C3', '手工去毛刺', [
        equipment('cnc-machining-centre', {
          key: 'CNC-04',
          name: 'Legacy machining centre CNC-04 (not networked)',
          nameZh: '老旧加工中心 CNC-04（未联网）',
          model: 'XH714',
          manufacturer: 'local',
          protocol: null,
          ratedPowerKw: 11,
        }),
        equipment('machine-tool', {
          key: 'DR-01',
          name: 'Radial drilling machine DR-01',
          nameZh: '摇臂钻床 DR-01',
          model: 'Z3050',
          manufacturer: 'local',
          protocol: null,
          ratedPowerKw: 4,
        }),
      ]),
    ],
  }
  const compressors: EquipmentSpec[] = ['AC-01', 'AC-02'].map((key) =>
    equipment('air-compressor', {
      key,
      name: `Screw air compressor ${key}`,
      nameZh: `螺杆空压机 ${key}`,
      model: 'GA75',
      manufacturer: 'Atlas Copco',
      protocol: 'modbus',
      ratedPowerKw: 75,
    }),
  )
  const dcArea: AreaSpec = { key: 'DC', name: 'Die-casting shop', nameZh: '压铸车间', lines: [dcL1, dcL2] }
  const mcArea: AreaSpec = { key: 'MC', name: 'Machining shop', nameZh: '机加工车间', lines: [mcL1] }
  const all = keysOf(dcArea, mcArea).concat(compressors.map((c) => c.key))
  const ut: AreaSpec = {
    key: 'UT',
    name: 'Utilities',
    nameZh: '公用动力',
    lines: [
      {
        key: 'UT-L1',
        name: 'Utilities',
        nameZh: '动力站',
        product: '',
        cells: [
          cell('UT-C1', '空压站', compressors),
          cell('UT-C2', '能源计量', [
            meter('EM-MAIN', 'electricity', '总进线电表', 'modbus', all),
            meter('EM-DC', 'electricity', '压铸车间电表', 'modbus', keysOf(dcArea)),
            meter('EM-MC', 'electricity', '机加车间电表', 'modbus', keysOf(mcArea)),
            meter('GM-01', 'natural-gas', '熔炼炉天然气表', 'modbus', keysOf(dcArea)),
            meter('WM-01', 'water', '总水表', 'modbus', all),
          ]),
        ],
      },
    ],
  }
  return {
    key: 'fs-diecast',
    name: 'Foshan Nanhai Ronghui Die Casting Co., Ltd.',
    nameZh: '佛山市南海融汇压铸有限公司',
    uscc: makeUscc('440600', 'MA4UKT8E'),
    regionCode: '440600',
    province: '广东省',
    city: '佛山市',
    industryCode: 'C3392',
    industryName: '有色金属铸造',
    sites: [
      {
        key: 'FS1',
        name: 'Nanhai plant',
        nameZh: '南海工厂',
        address: '广东省佛山市南海区狮山镇',
        regionCode: '440605',
        latitude: 23.14,
        longitude: 113.0,
        calendar: CALENDARS.twoShift12h,
        areas: [dcArea, mcArea, ut],
      },
    ],
  }
}

// ---------------------------------------------------------------- Dongguan: electronics assembly
function dongguan(): EnterpriseSpec {
  const im = (key: string, tonnage: number, power: number): EquipmentSpec =>
    equipment('injection-moulding-machine', {
      key,
      name: `Injection moulding machine ${key} (${tonnage} t)`,
      nameZh: `${tonnage}吨注塑机 ${key}`,
      model: `MA${tonnage * 10}`,
      manufacturer: 'Haitian',
      protocol: 'sparkplug',
      ratedPowerKw: power,
      keyProcess: true,
    })
  const robot = (key: string, follows: string, nameZh: string): EquipmentSpec =>
    equipment('industrial-robot', {
      key,
      name: `Robot ${key}`,
      nameZh: `${nameZh} ${key}`,
      model: 'KR 10 R1100',
      manufacturer: 'KUKA',
      protocol: 'sparkplug',
      ratedPowerKw: 3,
      follows,
    })
  const conveyor = (key: string, follows?: string): EquipmentSpec =>
    equipment('conveyor', {
      key,
      name: `Assembly conveyor ${key}`,
      nameZh: `装配输送线 ${key}`,
      model: 'DS-400',
      manufacturer: 'local',
      protocol: 'sparkplug',
      ratedPowerKw: 1.5,
      keyProcess: follows === undefined,
      ...(follows === undefined ? {} : { follows }),
    })
  const imArea: AreaSpec = {
    key: 'IM',
    name: 'Moulding shop',
    nameZh: '注塑车间',
    lines: [
      {
        key: 'IM-L1',
        name: 'Moulding line 1',
        nameZh: '注塑一线',
        product: 'Router housings (PC/ABS)',
        cells: [
          cell('IM-L1-C1', '注塑单元1', [im('IM-01', 120, 22), robot('RB-01', 'IM-01', '取件机械手')]),
          cell('IM-L1-C2', '注塑单元2', [im('IM-02', 160, 30), robot('RB-02', 'IM-02', '取件机械手')]),
          cell('IM-L1-C3', '注塑单元3', [im('IM-03', 200, 37)]),
          cell('IM-L1-C4', '注塑单元4', [im('IM-04', 280, 45)]),
        ],
      },
    ],
  }
  const asArea: AreaSpec = {
    key: 'AS',
    name: 'Assembly shop',
    nameZh: '组装车间',
    lines: [
      {
        key: 'AS-L1',
        name: 'Assembly line 1',
        nameZh: '组装一线',
        product: 'Wi-Fi router final assembly',
        cells: [
          cell('AS-L1-C1', '锁螺丝工位', [conveyor('CV-01'), robot('RB-03', 'CV-01', '锁螺丝机器人')]),
          cell('AS-L1-C2', '测试包装工位', [
            conveyor('CV-02', 'CV-01'),
            robot('RB-04', 'CV-01', '码垛机器人'),
          ]),
        ],
      },
      {
        key: 'AS-L2',
        name: 'Assembly line 2',
        nameZh: '组装二线',
        product: 'Smart plug final assembly',
        cells: [cell('AS-L2-C1', '组装工位', [conveyor('CV-03'), robot('RB-05', 'CV-03', '装配机器人')])],
      },
    ],
  }
  const ac = equipment('air-compressor', {
    key: 'AC-01',
    name: 'Screw air compressor AC-01',
    nameZh: '螺杆空压机 AC-01',
    model: 'SA-37A',
    manufacturer: 'Kaishan',
    protocol: 'modbus',
    ratedPowerKw: 37,
  })
  const all = keysOf(imArea, asArea).concat(['AC-01'])
  const ut: AreaSpec = {
    key: 'UT',
    name: 'Utilities',
    nameZh: '公用动力',
    lines: [
      {
        key: 'UT-L1',
        name: 'Utilities',
        nameZh: '动力站',
        product: '',
        cells: [
          cell('UT-C1', '空压站', [ac]),
          cell('UT-C2', '能源计量', [
            meter('EM-MAIN', 'electricity', '总进线电表', 'json', all),
            meter('EM-IM', 'electricity', '注塑车间电表', 'json', keysOf(imArea)),
            meter('EM-AS', 'electricity', '组装车间电表', 'json', keysOf(asArea)),
            meter('WM-01', 'water', '冷却水表', 'json', keysOf(imArea)),
          ]),
        ],
      },
    ],
  }
  return {
    key: 'dg-electronics',
    name: 'Dongguan Jinglian Electronics Technology Co., Ltd.',
    nameZh: '东莞市精联电子科技有限公司',
    uscc: makeUscc('441900', 'MA51R2YB'),
    regionCode: '441900',
    province: '广东省',
    city: '东莞市',
    industryCode: 'C3922',
    industryName: '通信终端设备制造',
    sites: [
      {
        key: 'DG1',
        name: 'Songshan Lake plant',
        nameZh: '松山湖工厂',
        address: '广东省东莞市松山湖高新技术产业开发区',
        regionCode: '441900',
        latitude: 22.92,
        longitude: 113.88,
        calendar: CALENDARS.twoShift12h,
        areas: [imArea, asArea, ut],
      },
    ],
  }
}

// ---------------------------------------------------------------- Liuzhou: auto parts
function liuzhou(): EnterpriseSpec {
  const cnc = (key: string): EquipmentSpec =>
    equipment('cnc-machining-centre', {
      key,
      name: `Horizontal machining centre ${key}`,
      nameZh: `卧式加工中心 ${key}`,
      model: 'HMC500',
      manufacturer: 'Dalian Machine Tool',
      protocol: 'sparkplug',
      ratedPowerKw: 26,
      keyProcess: true,
    })
  const robot = (key: string, follows: string): EquipmentSpec =>
    equipment('industrial-robot', {
      key,
      name: `Loading robot ${key}`,
      nameZh: `上下料机器人 ${key}`,
      model: 'M-20iD/25',
      manufacturer: 'FANUC',
      protocol: 'opcua',
      ratedPowerKw: 4,
      follows,
    })
  const conveyor = (key: string, follows: string, nameZh: string): EquipmentSpec =>
    equipment('conveyor', {
      key,
      name: `Conveyor ${key}`,
      nameZh: `${nameZh} ${key}`,
      model: 'CH-500',
      manufacturer: 'local',
      protocol: 'modbus',
      ratedPowerKw: 3,
      follows,
    })
  const mcArea: AreaSpec = {
    key: 'MC',
    name: 'Machining shop',
    nameZh: '机加工车间',
    lines: [
      {
        key: 'MC-L1',
        name: 'Steering knuckle line',
        nameZh: '转向节加工线',
        product: 'Steering knuckle',
        cells: [
          cell('MC-L1-C1', 'OP10/OP20', [cnc('CNC-01'), cnc('CNC-02'), robot('RB-01', 'CNC-01')]),
          cell('MC-L1-C2', 'OP30/OP40', [cnc('CNC-03'), cnc('CNC-04'), robot('RB-02', 'CNC-03')]),
          cell('MC-L1-C3', '线体输送', [conveyor('CV-01', 'CNC-01', '链板输送线')]),
        ],
      },
      {
        key: 'MC-L2',
        name: 'Brake disc line',
        nameZh: '制动盘加工线',
        product: 'Brake disc',
        cells: [
          cell('MC-L2-C1', 'OP10', [cnc('CNC-05'), cnc('CNC-06'), robot('RB-03', 'CNC-05')]),
          cell('MC-L2-C2', '线体输送', [conveyor('CV-02', 'CNC-05', '链板输送线')]),
        ],
      },
    ],
  }
  const ptArea: AreaSpec = {
    key: 'PT',
    name: 'Washing and coating',
    nameZh: '清洗涂装车间',
    lines: [
      {
        key: 'PT-L1',
        name: 'Washing tunnel',
        nameZh: '清洗线',
        product: 'Part washing and rust-proofing',
        cells: [cell('PT-L1-C1', '清洗隧道', [conveyor('CV-03', 'CNC-05', '清洗隧道输送链')])],
      },
    ],
  }
  const compressors = ['AC-01', 'AC-02'].map((key) =>
    equipment('air-compressor', {
      key,
      name: `Screw air compressor ${key}`,
      nameZh: `螺杆空压机 ${key}`,
      model: 'LU55',
      manufacturer: 'Fusheng',
      protocol: 'modbus',
      ratedPowerKw: 55,
    }),
  )
  const all = keysOf(mcArea, ptArea).concat(compressors.map((c) => c.key))
  const ut: AreaSpec = {
    key: 'UT',
    name: 'Utilities',
    nameZh: '公用动力',
    lines: [
      {
        key: 'UT-L1',
        name: 'Utilities',
        nameZh: '动力站',
        product: '',
        cells: [
          cell('UT-C1', '空压站', compressors),
          cell('UT-C2', '能源计量', [
            meter('EM-MAIN', 'electricity', '总进线电表', 'modbus', all),
            meter('EM-MC', 'electricity', '机加车间电表', 'modbus', keysOf(mcArea)),
            meter('GM-01', 'natural-gas', '热处理天然气表', 'modbus', keysOf(mcArea)),
            meter('WM-01', 'water', '总水表', 'modbus', all),
            meter('SM-01', 'steam', '清洗线蒸汽表', 'modbus', keysOf(ptArea)),
          ]),
        ],
      },
    ],
  }
  return {
    key: 'lz-autoparts',
    name: 'Liuzhou Junchi Auto Parts Co., Ltd.',
    nameZh: '柳州市骏驰汽车零部件有限公司',
    uscc: makeUscc('450200', 'MA5KQ7W3'),
    regionCode: '450200',
    province: '广西壮族自治区',
    city: '柳州市',
    industryCode: 'C3670',
    industryName: '汽车零部件及配件制造',
    sites: [
      {
        key: 'LZ1',
        name: 'Yufeng plant',
        nameZh: '鱼峰工厂',
        address: '广西壮族自治区柳州市鱼峰区',
        regionCode: '450203',
        latitude: 24.3,
        longitude: 109.43,
        calendar: CALENDARS.threeShift8h,
        areas: [mcArea, ptArea, ut],
      },
    ],
  }
}

/** The three enterprises, freshly built (callers may keep and share them: they are never mutated). */
export function buildEnterprises(): EnterpriseSpec[] {
  return [foshan(), dongguan(), liuzhou()]
}

/** Every equipment of an enterprise with where it sits in the ISA-95 hierarchy. */
export interface PlacedEquipment {
  readonly enterprise: EnterpriseSpec
  readonly site: SiteSpec
  readonly area: AreaSpec
  readonly line: LineSpec
  readonly cell: CellSpec
  readonly equipment: EquipmentSpec
}

export function listEquipment(enterprises: readonly EnterpriseSpec[]): PlacedEquipment[] {
  const out: PlacedEquipment[] = []
  for (const enterprise of enterprises)
    for (const site of enterprise.sites)
      for (const area of site.areas)
        for (const line of area.lines)
          for (const c of line.cells)
            for (const e of c.equipment) out.push({ enterprise, site, area, line, cell: c, equipment: e })
  return out
}
